/**
 * What a WhatsApp failure code means and what to do about it, in a line each: what a report's
 * "Why messages failed" and a failure alert say. Keyed on the code (Meta's titles change; the
 * codes do not). Unknown codes keep the title Meta sent with them.
 */
export interface FailureMeaning {
  title: string;
  /** A few words, for chart labels and narrow rows (the title, clipped, when there is none). */
  short?: string;
  advice: string;
}

const MEANINGS: Record<number, FailureMeaning> = {
  131026: {
    short: 'Not on WhatsApp',
    title: 'Undeliverable: not a WhatsApp user, an old app, or terms not accepted',
    advice: 'Check the number is on WhatsApp; reach these people another way.',
  },
  131047: {
    short: '24-hour window closed',
    title: 'More than 24 hours since the user last replied',
    advice: 'Send an approved template to reopen the conversation.',
  },
  131049: {
    short: 'Marketing limit (held back)',
    title: "Held back to keep the ecosystem's engagement healthy (per-user marketing limit)",
    advice: 'Do not resend at once: retry after 24 hours, and send fewer marketing messages to the same people.',
  },
  131050: {
    short: 'Opted out of marketing',
    title: 'The user stopped marketing messages from you',
    advice: 'Honour the opt-out: remove them from marketing sends.',
  },
  130472: {
    short: "Meta's experiment",
    title: "The user is in one of Meta's marketing experiments",
    advice: 'Nothing to fix; these recipients get no marketing messages for now.',
  },
  131031: {
    short: 'Account locked',
    title: 'Business account locked',
    advice: "Check the account's status and policy notices in WhatsApp Manager.",
  },
  131048: {
    short: 'Spam rate limit',
    title: 'Spam rate limit: too many messages were blocked or reported',
    advice: 'Slow down and review message quality; check the number’s quality rating.',
  },
  131056: {
    short: 'Too fast to one recipient',
    title: 'Too many messages to the same recipient too fast',
    advice: 'Space out messages to each recipient; retry later.',
  },
  368: {
    short: 'Policy block',
    title: 'Temporarily blocked for a policy violation',
    advice: 'Review the policy notice in WhatsApp Manager before sending more.',
  },
  130429: {
    short: 'Throughput reached',
    title: "Throughput reached: the number's messages per second",
    advice: 'Send more slowly, or spread traffic across numbers.',
  },
  131042: { short: 'Payment problem', title: 'Payment problem on the account', advice: 'Fix the payment method in WhatsApp Manager.' },
  131057: { short: 'Maintenance', title: 'Business account in maintenance', advice: 'Wait and retry; nothing to change on your side.' },
  131000: { title: 'Something went wrong at Meta', advice: 'Retry; if it persists, contact Meta support with the message ids.' },
  131016: { title: 'WhatsApp service temporarily unavailable', advice: 'Retry later.' },
  131021: { title: 'Recipient is the sender', advice: 'Do not send to your own business number.' },
  131051: { title: 'Unsupported message type', advice: 'Check the message type against the Cloud API reference.' },
  131052: { title: 'The media could not be downloaded', advice: 'Check the media URL is reachable and the file type supported.' },
  131053: { title: 'The media could not be uploaded', advice: 'Check the file type and size.' },
  132000: { title: 'Template parameter count does not match', advice: 'Send exactly the parameters the template declares.' },
  132001: { title: 'Template does not exist in that language', advice: 'Check the template name and language code.' },
  132005: { title: 'Translated template text too long', advice: 'Shorten the parameters.' },
  132007: { title: 'Template format policy violated', advice: 'Edit the template content to follow the policy.' },
  132012: { title: 'Template parameter format does not match', advice: 'Send parameters in the declared formats.' },
  132015: { title: 'Template paused for low quality', advice: 'Improve or replace the template.' },
  132016: { title: 'Template disabled for low quality', advice: 'Create a new template.' },
  133010: { title: 'Phone number not registered on the Cloud API', advice: 'Register the number before sending.' },
};

export function failureMeaning(code: number, titleFromMeta?: string): FailureMeaning {
  const known = MEANINGS[code];
  if (known) return known;
  return {
    title: titleFromMeta?.trim().slice(0, 120) || `Error ${code}`,
    advice: "Look the code up in Meta's WhatsApp Cloud API error reference.",
  };
}

export function isKnownFailure(code: number): boolean {
  return code in MEANINGS;
}
