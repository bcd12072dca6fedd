/**
 * Errors that reach a user. Each carries a stable `code` (for tests, logs and chat surfaces)
 * and the exit code the CLI uses; every surface turns them into one line in one place
 * (`src/cli/errorLine.ts` for the CLI).
 */
export type ExitCode = 1 | 2 | 130;

export abstract class WabaPulseError extends Error {
  abstract readonly code: string;
  /** 1 = runtime failure (Graph/chat unreachable, auth refused), 2 = bad input, 130 = interrupted. */
  abstract readonly exitCode: ExitCode;
  /** What the user should do about it, one short sentence. */
  readonly hint: string | undefined;

  constructor(message: string, hint?: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
    this.hint = hint;
  }
}

/** A bad flag, date, range, granularity or account name. */
export class UsageError extends WabaPulseError {
  readonly code: string;
  readonly exitCode = 2 as const;
  constructor(message: string, hint?: string, code = 'E_USAGE') {
    super(message, hint);
    this.code = code;
  }
}

/** A problem in the YAML config or the environment; `path` names where (`accounts[1].timezone`). */
export class ConfigError extends WabaPulseError {
  readonly code = 'E_CONFIG';
  readonly exitCode = 2 as const;
  constructor(
    readonly path: string,
    message: string,
    hint?: string,
    /** Every problem found, one line each, when validation found several (`check` prints them all). */
    readonly problems: string[] = [path ? `${path}: ${message}` : message],
  ) {
    super(path ? `${path}: ${message}` : message, hint);
  }
}

export function isWabaPulseError(err: unknown): err is WabaPulseError {
  return err instanceof WabaPulseError;
}

/** The user asked the command to stop (Ctrl-C, SIGTERM) before it finished. */
export class InterruptedError extends WabaPulseError {
  readonly code = 'E_INTERRUPTED';
  readonly exitCode = 130 as const;
  constructor(signal = 'SIGINT') {
    super(`interrupted (${signal})`, undefined);
  }
}

/** `serve` could not take its port. */
export class PortInUseError extends WabaPulseError {
  readonly code = 'E_PORT_IN_USE';
  readonly exitCode = 1 as const;
  constructor(
    readonly port: number,
    /** How this command is given its port: `PORT` for serve, `--port` for the sandbox. */
    setting: 'PORT' | '--port' = 'PORT',
  ) {
    super(
      `port ${port} is in use`,
      setting === 'PORT'
        ? 'set PORT to a free port, or stop what is listening on it'
        : 'pick another --port (0 for any free one), or stop what is listening on it',
    );
  }
}

/** The store failed for a reason other than being unreachable (a migration, a constraint). */
export class StoreError extends WabaPulseError {
  readonly code: string = 'E_STORE';
  readonly exitCode = 1 as const;
}

/** The database did not answer (down, restarting, connection dropped): worth retrying later. */
export class StoreUnavailableError extends StoreError {
  override readonly code: string = 'E_STORE_UNAVAILABLE';
}

/** The store did not commit in time (a lock, a failover, a statement timeout): retried later, like unavailable. */
export class StoreTimeoutError extends StoreUnavailableError {
  override readonly code = 'E_STORE_TIMEOUT';
}

/** Too many status events already wait for the store: this request is turned away (503, Retry-After) rather than queued without bound. */
export class IngestBusyError extends StoreUnavailableError {
  override readonly code = 'E_INGEST_BUSY';
}

/** A chat command that does not parse, or asks for what this conversation may not see: shown to the person as it is. */
export class CommandError extends UsageError {
  constructor(message: string) {
    super(message, undefined, 'E_COMMAND');
  }
}

/** A set of `--out` files could not be written after the work was done (the disk filled up): none of them appears. */
export class OutputWriteError extends WabaPulseError {
  readonly code = 'E_OUT_WRITE';
  readonly exitCode = 1 as const;
}

/** A series that cannot be trusted: the message names the bucket and what is wrong with it. */
export class SeriesError extends WabaPulseError {
  readonly code = 'E_SERIES';
  readonly exitCode = 1 as const;
}

/** The chart service (QuickChart) failed. */
export class ChartRenderError extends WabaPulseError {
  readonly code = 'E_CHART_RENDER';
  readonly exitCode = 1 as const;
}

/** A status webhook that is not a WhatsApp notification (after its signature checked out): answered 400 or 413, so Meta does not send it again. */
export class WebhookInputError extends WabaPulseError {
  readonly code = 'E_WEBHOOK_INPUT';
  readonly exitCode = 2 as const;
  constructor(
    message: string,
    readonly status: 400 | 413 = 400,
  ) {
    super(message);
  }
}

/** Slack refused the bot token at start-up. */
export class ChatAuthError extends WabaPulseError {
  readonly code = 'E_CHAT_AUTH';
  readonly exitCode = 1 as const;
}

// Graph: every failure talking to it. All exit 1: runtime failures, not bad input.

export interface GraphErrorBody {
  message?: string;
  type?: string;
  code?: number;
  error_subcode?: number;
  fbtrace_id?: string;
  error_user_msg?: string;
  error_data?: { details?: string };
}

export interface GraphErrorContext {
  /** "account "acme" (1047...)", prepended to messages. */
  subject: string;
  httpStatus?: number | undefined;
  body?: GraphErrorBody | undefined;
}

/** Base of every failure talking to Graph. All exit 1: runtime failures, not bad input. */
export abstract class GraphError extends WabaPulseError {
  readonly exitCode = 1 as const;
  abstract readonly retryable: boolean;
  readonly graphCode: number | undefined;
  readonly graphSubcode: number | undefined;
  readonly fbtraceId: string | undefined;
  readonly httpStatus: number | undefined;
  /** What Graph answered, as it answered (scrubbed of secrets), when it answered. */
  readonly graphBody: GraphErrorBody | undefined;
  /** How long Graph (or its usage headers) asked us to wait, when it said. */
  retryAfterMs: number | undefined;

  constructor(what: string, context: GraphErrorContext, hint?: string, cause?: unknown) {
    super(`${context.subject}: ${what}${describeGraphBody(context.body)}`, hint, { cause });
    this.graphCode = context.body?.code;
    this.graphSubcode = context.body?.error_subcode;
    this.fbtraceId = context.body?.fbtrace_id;
    this.httpStatus = context.httpStatus;
    this.graphBody = context.body;
  }
}

/** ` (#190/463 "Session has expired", fbtrace_id AbC)` — what Graph said, as it said it. */
function describeGraphBody(body: GraphErrorBody | undefined): string {
  if (!body) return '';
  const parts: string[] = [];
  if (body.code !== undefined) parts.push(`#${body.code}${body.error_subcode ? `/${body.error_subcode}` : ''}`);
  const text = body.error_data?.details ?? body.message;
  if (text) parts.push(JSON.stringify(text.length > 240 ? `${text.slice(0, 240)}…` : text));
  if (body.fbtrace_id) parts.push(`fbtrace_id ${body.fbtrace_id}`);
  return parts.length ? ` (${parts.join(', ')})` : '';
}

/** 190: the token is invalid, expired or revoked. */
export class GraphAuthError extends GraphError {
  readonly code = 'E_GRAPH_AUTH';
  readonly retryable = false;
}

/** 10, 200–299: the token lacks a permission or access to this WABA. */
export class GraphPermissionError extends GraphError {
  readonly code = 'E_GRAPH_PERMISSION';
  readonly retryable = false;
}

/** 4, 17, 32, 341, 613, 80004, 80007, 80008, or our own budget running out. */
export class GraphRateLimitError extends GraphError {
  readonly code = 'E_GRAPH_RATE_LIMIT';
  readonly retryable = true;
}

/** 1, 2, HTTP 5xx, connection failures. */
export class GraphUnavailableError extends GraphError {
  readonly code: string = 'E_GRAPH_UNAVAILABLE';
  readonly retryable = true;
}

export class GraphTimeoutError extends GraphUnavailableError {
  override readonly code = 'E_GRAPH_TIMEOUT';
}

/** 100 and anything else Graph rejects that retrying will not fix. */
export class GraphRequestError extends GraphError {
  readonly code = 'E_GRAPH_REQUEST';
  readonly retryable = false;
}

/** Graph answered 200 with a body we cannot read. */
export class GraphResponseError extends GraphError {
  readonly code = 'E_GRAPH_RESPONSE';
  readonly retryable = false;
}

// Template insights (template_analytics): switched on by a call that cannot be undone.

/** 200005: template insights are not available for this WABA (Meta does not offer them to WABAs tied to the EU, the UK or Japan). */
export class TemplateInsightsUnavailableError extends GraphError {
  readonly code = 'E_TEMPLATE_INSIGHTS_UNAVAILABLE';
  readonly retryable = false;
}

/** 200006: template insights cannot be switched off once on. */
export class TemplateInsightsIrreversibleError extends GraphError {
  readonly code = 'E_TEMPLATE_INSIGHTS_IRREVERSIBLE';
  readonly retryable = false;
}

/** 200007: template insights are not switched on for this WABA (the templates view says how, instead of failing). */
export class TemplateInsightsOffError extends GraphError {
  readonly code = 'E_TEMPLATE_INSIGHTS_OFF';
  readonly retryable = false;
}

/** More template ids in one template_analytics call than Graph takes (10): a bug in the caller, which must batch them. */
export class TemplateBatchError extends WabaPulseError {
  readonly code = 'E_TEMPLATE_BATCH';
  readonly exitCode = 1 as const;
}

/**
 * A chat-made alert rule was changed by someone else since it was read: the edit names the version
 * it started from, and is refused rather than overwrite the other person's change.
 */
export class StaleRuleError extends WabaPulseError {
  readonly code = 'E_RULE_STALE';
  readonly exitCode = 1 as const;
  constructor(
    readonly ruleId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
    readonly changedBy: string,
  ) {
    super(
      `rule ${ruleId} was changed by ${changedBy} (now version ${currentVersion}, you edited version ${expectedVersion})`,
      'reopen the rule to see their change, then make yours again',
    );
  }
}

/** A chat-made alert rule that is not (or no longer) in the store. */
export class RuleNotFoundError extends WabaPulseError {
  readonly code = 'E_RULE_NOT_FOUND';
  readonly exitCode = 2 as const;
  constructor(readonly ruleId: string) {
    super(`no alert rule ${ruleId}`, 'it may have been deleted: list the rules of this conversation again');
  }
}

/** A digest edited in a form was changed by someone else since the form was opened. */
export class StaleDigestError extends WabaPulseError {
  readonly code = 'E_DIGEST_STALE';
  readonly exitCode = 1 as const;
  constructor(
    readonly digestId: string,
    readonly expectedVersion: number,
    readonly currentVersion: number,
    readonly changedBy: string,
  ) {
    super(
      `digest ${digestId} was changed by ${changedBy} (now version ${currentVersion}, you edited version ${expectedVersion})`,
      'reopen the digest to see their change, then make yours again',
    );
  }
}

/** A digest is no longer in the store. */
export class DigestNotFoundError extends WabaPulseError {
  readonly code = 'E_DIGEST_NOT_FOUND';
  readonly exitCode = 2 as const;
  constructor(readonly digestId: string) {
    super(`no digest ${digestId}`, 'it may have been deleted: list the digests of this conversation again');
  }
}

/** The conversation already gets a digest of this account and period. */
export class DigestTakenError extends WabaPulseError {
  readonly code = 'E_DIGEST_TAKEN';
  readonly exitCode = 2 as const;
  constructor(readonly existingId: string) {
    super(`this conversation already has that digest (${existingId})`, 'edit that one instead');
  }
}
