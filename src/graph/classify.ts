import {
  GraphAuthError,
  type GraphError,
  type GraphErrorContext,
  GraphPermissionError,
  GraphRateLimitError,
  GraphRequestError,
  GraphUnavailableError,
  TemplateInsightsIrreversibleError,
  TemplateInsightsOffError,
  TemplateInsightsUnavailableError,
} from '../errors.js';

const RATE_LIMIT_CODES = new Set([4, 17, 32, 341, 613, 80004, 80007, 80008]);
const TRANSIENT_CODES = new Set([1, 2]);

/** Graph's error JSON (and HTTP status) as one of the typed errors in `src/errors.ts`. */
export function classifyGraphError(context: GraphErrorContext & { tokenEnv?: string }): GraphError {
  const code = context.body?.code;
  const status = context.httpStatus ?? 0;
  const renew = context.tokenEnv ? ` and update ${context.tokenEnv}` : '';
  // Template insights' own codes: what is wrong is the WABA's state, not the token.
  if (code === 200005)
    return new TemplateInsightsUnavailableError(
      'template insights are not available for this WhatsApp Business Account',
      context,
      'Meta does not offer them to WABAs tied to the EU, the UK or Japan; delivery, cost and health still work',
    );
  if (code === 200006)
    return new TemplateInsightsIrreversibleError(
      'template insights cannot be switched off once on',
      context,
      'nothing to do: they stay on for this WABA',
    );
  if (code === 200007)
    return new TemplateInsightsOffError(
      'template insights are not switched on for this WhatsApp Business Account',
      context,
      'switch them on with waba-pulse templates enable --account <name> --yes (it cannot be undone)',
    );
  if (code === 190 || (code === undefined && status === 401)) {
    return new GraphAuthError(
      'Graph refused the access token',
      context,
      `create a new access token (a System User token does not expire)${renew}`,
    );
  }
  if (code === 10 || (code !== undefined && code >= 200 && code <= 299) || (code === undefined && status === 403)) {
    return new GraphPermissionError(
      'the access token lacks a permission for this WhatsApp Business Account',
      context,
      "grant whatsapp_business_management and whatsapp_business_messaging to the token's user or app, with access to this WABA",
    );
  }
  if ((code !== undefined && RATE_LIMIT_CODES.has(code)) || status === 429) {
    return new GraphRateLimitError(
      'Graph is rate limiting this app or WABA',
      context,
      'wait and try again; fewer checks or drill-downs per hour use less of the budget',
    );
  }
  if ((code !== undefined && TRANSIENT_CODES.has(code)) || status >= 500) {
    return new GraphUnavailableError(`Graph is unavailable (HTTP ${status})`, context, 'try again in a few minutes');
  }
  if (code === 100) {
    return new GraphRequestError('Graph rejected the request', context, 'check the account id in the config and the report range');
  }
  return new GraphRequestError(`Graph answered HTTP ${status}`, context, 'check the account id and token in the config');
}
