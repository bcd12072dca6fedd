import { closest, distance } from 'fastest-levenshtein';

/** The known value nearest to `input`, when it is near enough to be a plausible typo. */
export function didYouMean(input: string, known: readonly string[]): string | undefined {
  // Nothing typed, or far too long to be a typo of a name (and costly to compare).
  if (known.length === 0 || input.length === 0 || input.length > 64) return undefined;
  const lower = input.toLowerCase();
  const candidate = closest(
    lower,
    known.map((k) => k.toLowerCase()),
  );
  const index = known.findIndex((k) => k.toLowerCase() === candidate);
  const limit = Math.max(2, Math.floor(input.length / 3));
  return index >= 0 && distance(lower, candidate) <= limit ? known[index] : undefined;
}

export function suggestion(input: string, known: readonly string[]): string {
  const near = didYouMean(input, known);
  return near ? ` — did you mean "${near}"?` : '';
}
