import { WabaPulseError } from '../errors.js';

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

const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80004, 80007, 80008]);
const TRANSIENT_CODES = new Set([1, 2]);

/** Graph's error JSON (and HTTP status) to one of the typed errors above. */
export function classifyGraphError(context: GraphErrorContext & { tokenEnv?: string }): GraphError {
  const code = context.body?.code;
  const status = context.httpStatus ?? 0;
  const renew = context.tokenEnv ? ` and update ${context.tokenEnv}` : '';
  if (code === 190 || (code === undefined && status === 401)) {
    return new GraphAuthError('Graph refused the access token', context, `create a new access token (a System User token does not expire)${renew}`);
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299) || (code === undefined && status === 403)) {
    return new GraphPermissionError(
      'the access token lacks a permission for this WhatsApp Business Account',
      context,
      'grant whatsapp_business_management and whatsapp_business_messaging to the token\'s user or app, with access to this WABA',
    );
  }
  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || status === 429) {
    return new GraphRateLimitError('Graph is rate limiting this app or WABA', context, 'wait and try again; fewer checks or drill-downs per hour use less of the budget');
  }
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || status >= 500) {
    return new GraphUnavailableError(`Graph is unavailable (HTTP ${status})`, context, 'try again in a few minutes');
  }
  if (code === 100) {
    return new GraphRequestError('Graph rejected the request', context, 'check the account id in the config and the report range');
  }
  return new GraphRequestError(`Graph answered HTTP ${status}`, context, 'check the account id and token in the config');
}
