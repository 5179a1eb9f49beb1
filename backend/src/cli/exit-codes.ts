import { ValidationError } from '../errors.js';
import { isConnectionError } from '../ssh/errors.js';
import { type DomainState, GOOD_DOMAIN_STATES } from '../store/states.js';

/**
 * Process exit codes of the CLI (documented in README.md, "Command line").
 * 0 ok; 1 the change failed verification and was rolled back; 2 refused input (nothing was changed);
 * 3 the rollback failed, or another server-side error; 4 a server could not be reached over SSH
 * (unreachable, key refused, host key mismatch).
 */
export const ExitCode = {
  ok: 0,
  verificationFailed: 1,
  refused: 2,
  serverError: 3,
  unreachable: 4,
} as const;

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** Bad command line: unknown command or option, missing argument. Nothing was touched. */
export class UsageError extends ValidationError {
  constructor(message: string, hint = 'see `passenger-panel help`') {
    super(message, { hint });
  }
}

/** The exit code for an error that reached the top of a command. */
export function exitCodeFor(err: unknown): ExitCodeValue {
  if (err instanceof ValidationError) return ExitCode.refused;
  if (isConnectionError(err)) return ExitCode.unreachable;
  return ExitCode.serverError;
}

/**
 * The exit code of a change, from the state its domain ended in: 0 it holds (or nothing to do, or a
 * dry run's plan), 1 it failed and was rolled back, 2 refused before anything was written, 3 anything
 * that needs a person (rollback failed, files changed by someone else, a restored state that does not serve).
 */
export function exitCodeForState(state: DomainState): ExitCodeValue {
  if (GOOD_DOMAIN_STATES.has(state) || state === 'planned') return ExitCode.ok;
  if (state === 'rolled-back') return ExitCode.verificationFailed;
  if (state === 'refused') return ExitCode.refused;
  return ExitCode.serverError;
}
