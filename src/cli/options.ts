import { UsageError } from '../errors.js';
import { quoted } from '../text.js';

export interface ReportOptions {
  account?: string;
  from?: string;
  to?: string;
  last?: string;
  granularity?: string;
  by?: string;
  format?: string;
  out?: string;
  /** delivery (the default), cost or templates. */
  view?: string;
  /** Templates view: ids or names, comma-separated. */
  template?: string;
}

export function parseFormat(value: string | undefined): 'text' | 'json' {
  const format = (value ?? 'text').toLowerCase();
  if (format !== 'text' && format !== 'json') throw new UsageError(`unknown --format ${quoted(value)}`, 'use text or json');
  return format;
}
