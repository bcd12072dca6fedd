import { z } from 'zod';
import { MAX_PAGES, nextCursor, pagingSchema, parseAnswer } from './answer.js';
import type { GraphAccount } from './client.js';
import { edgeUrl, objectUrl } from './fields.js';

/**
 * Reading the WABA node: several fields in one request (`fields=currency,health_status,
 * phone_numbers.limit(100){…},pricing_analytics.start(…)…`), each read by its own schema — the
 * account's state costs one Graph call, not one per field — and the lists among them read on
 * through their cursors.
 */

/** What the fetchers need of the Graph client: its request machinery (retries, budget, typed errors) and where Graph is. */
export interface GraphTransport {
  readonly settings: { apiUrl: string; version: string };
  requestJson(account: GraphAccount, url: string, method?: 'GET' | 'POST'): Promise<unknown>;
}

/** One field of the WABA node, as it goes into `fields=`, and how its part of the answer is read. */
export interface WabaField<T> {
  field: string;
  read(body: Record<string, unknown>, account: GraphAccount): T;
}

type Values<F extends readonly WabaField<unknown>[]> = { [K in keyof F]: F[K] extends WabaField<infer T> ? T : never };

const objectBody = z.record(z.string(), z.unknown());

/** One GET of the WABA node asking for every field given; each read from the same answer. */
export async function readWaba<const F extends readonly WabaField<unknown>[]>(
  graph: GraphTransport,
  account: GraphAccount,
  fields: F,
): Promise<Values<F>> {
  const url = objectUrl(graph.settings.apiUrl, graph.settings.version, account.id, fields.map((f) => f.field).join(','));
  const body = parseAnswer(objectBody, await graph.requestJson(account, url), account);
  return fields.map((f) => f.read(body, account)) as Values<F>;
}

/** The first page of a list and where the next begins. */
export interface Page<T> {
  items: T[];
  after: string | undefined;
}

/** A list on the WABA (an edge), read as a field of the node and then page by page through its own endpoint. */
export interface WabaList<T> extends WabaField<Page<T>> {
  /** Every item after the first page. */
  rest(graph: GraphTransport, account: GraphAccount, first: Page<T>): Promise<T[]>;
}

/** Items asked per page: Graph's lists take up to a few hundred; 100 keeps answers small. */
const PAGE_SIZE = 100;

export function wabaList<S extends z.ZodType, T>(
  edge: string,
  subfields: readonly string[],
  item: S,
  map: (raw: z.output<S>) => T,
): WabaList<T> {
  const page = z.looseObject({ data: z.array(item).default([]), paging: pagingSchema });
  const toPage = (raw: z.output<typeof page>): Page<T> => ({
    items: (raw.data as Array<z.output<S>>).map(map),
    after: nextCursor(raw.paging),
  });
  return {
    field: `${edge}.limit(${PAGE_SIZE}){${subfields.join(',')}}`,
    read(body, account) {
      // A WABA without any (no numbers yet) may leave the field out.
      const raw = parseAnswer(page.optional(), body[edge], account, edge);
      return raw ? toPage(raw) : { items: [], after: undefined };
    },
    async rest(graph, account, first) {
      const items: T[] = [];
      let after = first.after;
      for (let pages = 1; after !== undefined && pages < MAX_PAGES; pages++) {
        const url = edgeUrl(graph.settings.apiUrl, graph.settings.version, account.id, edge, {
          fields: subfields.join(','),
          limit: String(PAGE_SIZE),
          after,
        });
        const next = toPage(parseAnswer(page, await graph.requestJson(account, url), account, edge));
        items.push(...next.items);
        after = next.after;
      }
      return items;
    },
  };
}

/** All of a list: the first page from the node's answer, the rest through the edge. */
export async function wholeList<T>(graph: GraphTransport, account: GraphAccount, list: WabaList<T>, first: Page<T>): Promise<T[]> {
  return [...first.items, ...(await list.rest(graph, account, first))];
}
