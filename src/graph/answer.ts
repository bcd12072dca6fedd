import { z } from 'zod';
import { GraphResponseError } from '../errors.js';

/**
 * Reading what Graph answered: every field is checked against its schema before anything uses
 * it, and an answer of another shape is one typed error naming where it went wrong.
 */
export function subjectOf(account: { id: string; name: string }): string {
  return `account "${account.name}" (${account.id})`;
}

/** `body` as `schema` says, or a GraphResponseError naming the first place it is not (and, when given, which field). */
export function parseAnswer<S extends z.ZodType>(
  schema: S,
  body: unknown,
  account: { id: string; name: string },
  what?: string,
): z.output<S> {
  const parsed = schema.safeParse(body);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0]!;
  throw new GraphResponseError(
    `Graph answered ${what ? `${what} ` : ''}with an unexpected body at ${issue.path.join('.') || '(root)'}: ${issue.message}`,
    { subject: subjectOf(account) },
    'check GRAPH_API_URL points at the Graph API',
  );
}

/** Graph's enum values (`GREEN`, `TIER_2K`, `PENDING_REVIEW`): upper-case words, kept as text so a value Meta adds later still reads. */
export const graphWord = z.string().regex(/^[A-Z0-9_]{1,64}$/, 'is not a Graph enum value');

/** Graph ids come as numeric strings, and as numbers in some answers: always a string here. */
export const graphId = z
  .union([z.string().regex(/^\d{1,24}$/), z.number().int().nonnegative()])
  .transform((v) => (typeof v === 'number' ? BigInt(v).toString() : v));

/** `{cursors: {before, after}, next}`: present when there is more to read. */
export const pagingSchema = z
  .looseObject({
    cursors: z.looseObject({ before: z.string().max(512).optional(), after: z.string().max(512).optional() }).optional(),
    next: z.string().optional(),
  })
  .optional();

/** The cursor to ask for the next page with, when Graph says there is one (`next` present). */
export function nextCursor(paging: z.output<typeof pagingSchema>): string | undefined {
  return paging?.next && paging.cursors?.after ? paging.cursors.after : undefined;
}

/** Most pages one list is read through: a bound against a Graph (or proxy) that keeps answering `next`. */
export const MAX_PAGES = 50;
