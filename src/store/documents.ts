import { z } from 'zod';
import { StoreError } from '../errors.js';
import { ANOMALY_KINDS } from '../vocabulary/anomalyKinds.js';

/**
 * The JSON the store keeps in text columns, each read back through its schema: nothing leaves
 * the store as JSON text. Objects are read loose — a field this version does not know (written
 * by a newer replica) is kept, not stripped — and the types are the store's own, so the store
 * imports nothing of the layers that use it; theirs (AlertContent, SettleStats) match them.
 */

const severity = z.enum(['warning', 'critical']);
const anomalyKind = z.enum(ANOMALY_KINDS);

/** One line of an alert as kept (alerts/model.ts AlertLine). */
export interface AlertLineDocument {
  severity: z.infer<typeof severity>;
  explanation: string;
  kind?: z.infer<typeof anomalyKind> | undefined;
  scope?: { kind: 'account' | 'phone' | 'country' | 'phone_country' | 'template'; key: string | null; label: string } | undefined;
  new?: boolean | undefined;
  start?: number | undefined;
  end?: number | undefined;
  ongoing?: boolean | undefined;
  observed?: number | undefined;
  expected?: number | undefined;
  code?: number | undefined;
}

/** Who acknowledged or muted an alert, as kept (alerts/model.ts AlertStatusLine). */
export interface AlertStatusDocument {
  action: 'acknowledged' | 'muted';
  by: string;
  byName?: string | undefined;
  at: number;
  mutedUntil?: number | undefined;
  durationMs?: number | undefined;
  timezone: string;
}

/** An alert's small chart, as kept (alerts/model.ts AlertChartData). */
export interface AlertChartDocument {
  label: string;
  measure?: 'delivery' | 'failures' | undefined;
  points: Array<{ start: number; rate: number | null; expected: number | null; sent: number }>;
  badStart: number;
  badEnd: number;
}

/** Health news a drop alert mentions, as kept (alerts/judge/health.ts HealthNote). */
export interface HealthNoteDocument {
  what: string;
  at: number;
  more: number;
}

/** What an alert says (alerts/model.ts AlertContent): every message of it is redrawn from this alone. */
export interface AlertDocument {
  key: string;
  shortId: string;
  accountId: string;
  accountName: string;
  anomalies: AlertLineDocument[];
  timezone: string;
  resolved?: boolean | undefined;
  openedAt?: number | undefined;
  firstBucketStart?: number | undefined;
  lastBadEnd?: number | undefined;
  status?: AlertStatusDocument | undefined;
  chart?: AlertChartDocument | undefined;
  healthNote?: HealthNoteDocument | undefined;
}

const alertLine: z.ZodType<AlertLineDocument> = z.looseObject({
  severity,
  explanation: z.string(),
  kind: anomalyKind.optional(),
  scope: z
    .looseObject({
      kind: z.enum(['account', 'phone', 'country', 'phone_country', 'template']),
      key: z.string().nullable(),
      label: z.string(),
    })
    .optional(),
  new: z.boolean().optional(),
  start: z.number().optional(),
  end: z.number().optional(),
  ongoing: z.boolean().optional(),
  observed: z.number().optional(),
  expected: z.number().optional(),
  code: z.number().optional(),
});

const alertStatus: z.ZodType<AlertStatusDocument> = z.looseObject({
  action: z.enum(['acknowledged', 'muted']),
  by: z.string(),
  byName: z.string().optional(),
  at: z.number(),
  mutedUntil: z.number().optional(),
  durationMs: z.number().optional(),
  timezone: z.string(),
});

const alertChart: z.ZodType<AlertChartDocument> = z.looseObject({
  label: z.string(),
  measure: z.enum(['delivery', 'failures']).optional(),
  points: z.array(z.looseObject({ start: z.number(), rate: z.number().nullable(), expected: z.number().nullable(), sent: z.number() })),
  badStart: z.number(),
  badEnd: z.number(),
});

// A note that does not read is left off: the alert itself still redraws.
const healthNote: z.ZodType<HealthNoteDocument | undefined> = z
  .looseObject({ what: z.string(), at: z.number(), more: z.number() })
  .optional()
  .catch(undefined);

const alertDocument: z.ZodType<AlertDocument> = z.looseObject({
  key: z.string(),
  shortId: z.string(),
  accountId: z.string(),
  accountName: z.string(),
  anomalies: z.array(alertLine),
  timezone: z.string(),
  resolved: z.boolean().optional(),
  openedAt: z.number().optional(),
  firstBucketStart: z.number().optional(),
  lastBadEnd: z.number().optional(),
  status: alertStatus.optional(),
  chart: alertChart.optional(),
  healthNote,
});

/** What an episode remembers beyond its columns: what it announced, and its bad stretch. */
export interface EpisodeSummary {
  shortId?: string | undefined;
  /** "kind|scope kind|scope key" of everything announced so far. */
  announced: string[];
  firstBucketStart?: number | undefined;
  lastBadEnd?: number | undefined;
  /** Where its stretch may start at the earliest: after the rule's alert before it. */
  after?: number | undefined;
  /** Times it resolved too soon and resumed (each resumption posted once). */
  resumes?: number | undefined;
}

// An episode from before the lifecycle kept its state here reads as one that starts afresh:
// each field that does not fit is as good as absent.
const episodeSummary: z.ZodType<EpisodeSummary> = z
  .looseObject({
    shortId: z.string().optional().catch(undefined),
    announced: z.array(z.string()).catch([]),
    firstBucketStart: z.number().optional().catch(undefined),
    lastBadEnd: z.number().optional().catch(undefined),
    after: z.number().optional().catch(undefined),
    resumes: z.number().int().nonnegative().optional().catch(undefined),
  })
  .catch({ announced: [] });

/** Running sums per age step of how an account's deliveries arrive (analytics/settle.ts SettleStats). */
export interface SettleStatsDocument {
  stepMinutes: number;
  visible: number[];
  final: number[];
  ratioSquares: number[];
  count: number[];
}

const settleStats: z.ZodType<SettleStatsDocument> = z.looseObject({
  stepMinutes: z.number(),
  visible: z.array(z.number()),
  final: z.array(z.number()),
  ratioSquares: z.array(z.number()),
  count: z.array(z.number()),
});

/** What Graph listed for a cached span: the numbers and countries a breakdown may name. */
const bucketListing = z.looseObject({ phoneNumbers: z.array(z.string()), countryCodes: z.array(z.string()) });

/** A Bot Framework ConversationReference. */
const conversationReference = z.record(z.string(), z.unknown());

/** What health rules key on: numbers, ids, scores and limits before and after. */
const healthData = z.record(z.string(), z.union([z.string(), z.number(), z.null()]));

export const documents = {
  alert: alertDocument,
  episodeSummary,
  settleStats,
  bucketListing,
  conversationReference,
  healthData,
};

/**
 * The value of a JSON column, read through its schema. A value that does not fit is a store
 * fault (written by hand, or by a version that wrote something else): one line naming the row.
 */
export function readDocument<T>(schema: z.ZodType<T>, text: string, what: string): T {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    // A schema that has a fallback (an old episode's summary) takes the text that is not JSON too.
    const fallback = schema.safeParse(undefined);
    if (fallback.success) return fallback.data;
    throw new StoreError(
      `${what} in the store is not JSON`,
      'restore the row from a backup, or delete it for waba-pulse to start it afresh',
    );
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new StoreError(
      `${what} in the store does not read as expected (${issue?.path.join('.') || 'value'}: ${issue?.message})`,
      'restore the row from a backup, or delete it for waba-pulse to start it afresh',
    );
  }
  return parsed.data;
}
