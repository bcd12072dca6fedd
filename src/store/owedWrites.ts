/**
 * Writes the store could not take when they were due (it went away just then), kept by key and
 * made first thing at the next tick, in the order owed: a post's record, a claim to give back.
 * Without them a claim looks abandoned until its lease runs out, and what it covered is done again.
 */
export class OwedWrites {
  private readonly owed = new Map<string, () => Promise<unknown>>();

  get size(): number {
    return this.owed.size;
  }

  owe(key: string, write: () => Promise<unknown>): void {
    this.owed.set(key, write);
  }

  /** Make the owed writes; false, the rest kept, while the store still cannot take them. */
  async settle(): Promise<boolean> {
    for (const [key, write] of this.owed) {
      try {
        await write();
        this.owed.delete(key);
      } catch {
        return false;
      }
    }
    return true;
  }
}
