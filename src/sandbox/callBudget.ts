/**
 * Graph's per-WABA call budget: calls in the last hour against `callsPerHour`, told in the
 * `x-business-use-case-usage` header (added only once usage is noticeable, as Graph does).
 */
export class CallBudget {
  private readonly calls = new Map<string, number[]>();

  constructor(
    private readonly callsPerHour: number,
    private readonly now: () => number,
  ) {}

  usedPercent(id: string): number {
    const cutoff = this.now() - 3_600_000;
    const list = (this.calls.get(id) ?? []).filter((t) => t > cutoff);
    this.calls.set(id, list);
    return Math.round((list.length / this.callsPerHour) * 100);
  }

  /** Minutes until the oldest call of the hour leaves it. */
  regainMinutes(id: string): number {
    return Math.max(1, Math.ceil(((this.calls.get(id) ?? [])[0]! + 3_600_000 - this.now()) / 60_000));
  }

  record(id: string): void {
    const list = this.calls.get(id) ?? [];
    list.push(this.now());
    this.calls.set(id, list);
  }

  headers(id: string, percent: number, regainMinutes: number): Record<string, string> {
    if (percent < 10 && regainMinutes === 0) return {};
    return {
      'x-business-use-case-usage': JSON.stringify({
        [id]: [
          {
            type: 'whatsapp_business_management',
            call_count: percent,
            total_cputime: Math.round(percent / 3),
            total_time: Math.round(percent / 2),
            estimated_time_to_regain_access: regainMinutes,
          },
        ],
      }),
    };
  }
}
