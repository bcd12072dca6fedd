/** Status webhooks of one minute, one number, one recipient country, one status, code and category. */
export interface StatusCount {
  accountId: string;
  minute: number;
  phone: string;
  country: string;
  /**
   * What Meta said of the messages — or `unsent`: failed messages that had no `sent` status when
   * their failure was counted (most failures are decided before sending), so that `sent` plus
   * `unsent` is every message attempted.
   */
  status: 'sent' | 'delivered' | 'read' | 'failed' | 'unsent';
  code: number;
  category: string;
  count: number;
}

export type StatusTotal = Omit<StatusCount, 'minute'>;
