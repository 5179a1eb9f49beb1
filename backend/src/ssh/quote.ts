import { ValidationError } from '../errors.js';

// Words made only of these characters mean the same quoted or not, so they stay bare for readable logs.
const SAFE_WORD = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quotes one argument for a POSIX shell: bare when harmless, otherwise in single quotes. */
export function quoteArg(arg: string): string {
  if (typeof arg !== 'string') throw new ValidationError(`shell argument must be a string, got ${typeof arg}`);
  if (arg.includes('\0')) {
    // A NUL cannot travel inside a command line; the remote side would silently cut the argument there.
    throw new ValidationError('shell argument contains a NUL byte', { hint: 'pass binary data through stdin instead' });
  }
  if (arg === '') return "''";
  if (SAFE_WORD.test(arg)) return arg;
  // Inside single quotes nothing is special except the closing quote itself: end, escape it, reopen.
  return `'${arg.replace(/'/g, `'\\''`)}'`;
}

/**
 * Builds the one command line sent to the remote shell from an argument list.
 * Every remote command goes through here; nothing concatenates user text into a command.
 */
export function shellQuote(argv: readonly string[]): string {
  if (!Array.isArray(argv) || argv.length === 0) throw new ValidationError('a remote command needs at least one argument');
  return argv.map(quoteArg).join(' ');
}

/**
 * The argv that runs `script` under `sh -c`, with `args` as $1, $2, ... (so the script never
 * interpolates values itself; it reads them as quoted positional parameters).
 */
export function shScript(script: string, args: readonly string[] = []): string[] {
  return ['sh', '-c', script, 'sh', ...args];
}
