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
  constructor(readonly port: number) {
    super(`port ${port} is in use`, 'set PORT to a free port, or stop what is listening on it');
  }
}

/** The store failed for a reason other than being unreachable (a migration, a constraint). */
export class StoreError extends WabaPulseError {
  readonly code: string = 'E_STORE';
  readonly exitCode = 1 as const;
}

/** The database did not answer (down, restarting, connection dropped): worth retrying later. */
export class StoreUnavailableError extends StoreError {
  override readonly code = 'E_STORE_UNAVAILABLE';
}
