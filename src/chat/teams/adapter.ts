import { type Activity, CloudAdapter, type ConfigurationBotFrameworkAuthentication, type TurnContext } from 'botbuilder';
import type { Logger } from '../../log.js';

/** Longest conversation id taken: Teams' own are under 300 characters. */
export const MAX_CONVERSATION_ID = 512;

/**
 * Why a conversation id is refused before the SDK sees it, or undefined: the SDK copies it into
 * an `x-ms-conversation-id` header (where a control character fails every reply) and the store
 * keeps it.
 */
export function badConversationId(id: string): string | undefined {
  if (id.length > MAX_CONVERSATION_ID) return `over ${MAX_CONVERSATION_ID} characters`;
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  if (/[\u0000-\u001f\u007f]/.test(id)) return 'control characters';
  return undefined;
}

/**
 * What the log keeps of a Bot Framework SDK error: its kind, HTTP status and first line — not the
 * request, its headers or the 100 KB body a failed connector call carries.
 */
export function sdkError(err: unknown): { name?: string; code?: string; statusCode?: number; message: string } {
  const e = (err ?? {}) as { name?: unknown; code?: unknown; statusCode?: unknown; message?: unknown };
  return {
    ...(typeof e.name === 'string' ? { name: e.name } : {}),
    ...(typeof e.code === 'string' ? { code: e.code } : {}),
    ...(typeof e.statusCode === 'number' ? { statusCode: e.statusCode } : {}),
    message: String(e.message ?? err)
      .split('\n')[0]!
      .slice(0, 300),
  };
}

type Authenticated = Awaited<ReturnType<ConfigurationBotFrameworkAuthentication['authenticateRequest']>>;

/**
 * botbuilder's CloudAdapter, answering in words: its own `process` prints every failure to the
 * console (past the logger and its secret scrubbing) and answers with the raw error message
 * (`getaddrinfo ENOTFOUND login.botframework.com`). Here the request is authenticated, its turn
 * run, and any failure logged in a line and answered `{"error": …}`.
 */
export class TeamsAdapter extends CloudAdapter {
  constructor(
    private readonly authentication: ConfigurationBotFrameworkAuthentication,
    private readonly log: Logger,
  ) {
    super(authentication);
  }

  async handleActivity(
    authHeader: string,
    activity: Activity,
    logic: (context: TurnContext) => Promise<void>,
  ): Promise<{ status: number; body?: unknown }> {
    let authenticated: Authenticated;
    try {
      authenticated = await this.authentication.authenticateRequest(activity, authHeader);
    } catch (err) {
      const status = (err as { statusCode?: unknown }).statusCode;
      if (status === 401 || status === 403) {
        this.log.warn({ err: sdkError(err) }, 'teams request refused: not authenticated');
        return { status: 401, body: { error: 'unauthorized' } };
      }
      this.log.error({ err: sdkError(err) }, 'teams request not checked: Bot Framework authentication failed');
      return { status: 500, body: { error: 'internal error' } };
    }
    try {
      const invoke = await this.processActivity(authenticated, activity, logic);
      return { status: invoke?.status ?? 200, body: invoke?.body };
    } catch (err) {
      this.log.error({ err: sdkError(err) }, 'teams request failed');
      return { status: 500, body: { error: 'internal error' } };
    }
  }
}
