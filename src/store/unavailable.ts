import { StoreUnavailableError } from '../errors.js';

// What means "the database cannot serve us right now" (PostgreSQL SQLSTATEs, socket and SQLite
// errors): worth degrading around and retrying, not a fault of the query or its data.
const UNAVAILABLE_CODES = new Set([
  // ALLOW_CONNECTIONS false: "database … is not currently accepting connections".
  '55000',
  // A failover left the connection on a standby: "cannot execute … in a read-only transaction".
  '25006',
  // Shut down (admin, crash), starting up or recovering, dropped, or the session timed out.
  '57P01',
  '57P02',
  '57P03',
  '57P04',
  '57P05',
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'SQLITE_BUSY',
  'SQLITE_IOERR',
  'SQLITE_CANTOPEN',
  'SQLITE_FULL',
]);
// Whole classes: 08 connection exceptions; 53 insufficient resources (too many connections, disk full, out of memory).
const UNAVAILABLE_CLASSES = ['08', '53'];
const UNAVAILABLE_MESSAGES =
  /Connection terminated|connection error|timeout exceeded when trying to connect|Cannot use a pool after calling end|Connection ended|not queryable|database is locked/i;

export function isStoreUnavailable(err: unknown): boolean {
  if (err instanceof StoreUnavailableError) return true;
  const code = String((err as { code?: unknown })?.code ?? '');
  return (
    UNAVAILABLE_CODES.has(code) ||
    (code.length === 5 && UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) ||
    UNAVAILABLE_MESSAGES.test((err as Error)?.message ?? '')
  );
}
