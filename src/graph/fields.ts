export type GraphGranularity = 'HALF_HOUR' | 'DAY' | 'MONTH';

export interface AnalyticsFilter {
  phoneNumbers?: readonly string[] | undefined;
  countryCodes?: readonly string[] | undefined;
  productTypes?: readonly number[] | undefined;
}

export interface AnalyticsQuery extends AnalyticsFilter {
  start: number;
  end: number;
  granularity: GraphGranularity;
}

/**
 * `analytics.start(S).end(E).granularity(G)` plus the optional filters, which take JSON arrays
 * (`.phone_numbers(["16315551000"])`). Encoding for the URL is left to URLSearchParams.
 */
export function analyticsField(q: AnalyticsQuery): string {
  let field = `analytics.start(${Math.floor(q.start)}).end(${Math.floor(q.end)}).granularity(${q.granularity})`;
  if (q.phoneNumbers?.length) field += `.phone_numbers(${JSON.stringify(q.phoneNumbers)})`;
  if (q.countryCodes?.length) field += `.country_codes(${JSON.stringify(q.countryCodes)})`;
  if (q.productTypes?.length) field += `.product_types(${JSON.stringify(q.productTypes)})`;
  return field;
}

/** `GET {base}/{version}/{wabaId}?fields=...` — the token goes in a header, never here. */
export function objectUrl(base: string, version: string, objectId: string, fields: string): string {
  const url = new URL(`${base.replace(/\/+$/, '')}/${version}/${encodeURIComponent(objectId)}`);
  url.searchParams.set('fields', fields);
  return url.toString();
}

/**
 * `{base}/{version}/{objectId}/{edge}?…` (or the node itself without an edge) with query
 * parameters: edge lists (`phone_numbers`, `message_templates`) and Graph's switches (a POST with
 * `is_enabled_for_insights=true`). The token goes in a header, never here.
 */
export function edgeUrl(base: string, version: string, objectId: string, edge: string | undefined, params: Record<string, string>): string {
  const url = new URL(`${base.replace(/\/+$/, '')}/${version}/${encodeURIComponent(objectId)}${edge ? `/${edge}` : ''}`);
  for (const [key, value] of Object.entries(params)) url.searchParams.set(key, value);
  return url.toString();
}
