import { shellQuote } from './quote.js';

/** How a command is sent and named: the remote deadline around it, and its short form in messages. */

// Seconds the remote side waits beyond our own deadline before killing, so our timer always fires first.
const REMOTE_DEADLINE_GRACE_S = 2;

/**
 * Wraps a command in coreutils `timeout`, which runs it in its own process group and kills the whole
 * group when the deadline passes: closing the SSH channel alone leaves the remote processes running,
 * and OpenSSH only delivers signals to the session leader, not to the children of a script.
 */
export function withRemoteDeadline(argv: readonly string[], timeoutMs: number): string[] {
  if (!Number.isFinite(timeoutMs)) return [...argv];
  const seconds = Math.ceil(timeoutMs / 1000) + REMOTE_DEADLINE_GRACE_S;
  return ['timeout', '-s', 'TERM', '-k', '3', `${seconds}s`, ...argv];
}

/** Short printable form of a command for messages: enough to recognise it, never a whole script or file. */
export function describeCommand(argv: readonly string[]): string {
  const shown = argv[0] === 'sh' && argv[1] === '-c' ? ['sh', '-c', '<script>', ...argv.slice(4)] : [...argv];
  const text = shellQuote(shown).replace(/\s+/g, ' ');
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

/** The last `chars` characters of a text (a command's stderr), marked when cut. */
export function tail(text: string, chars: number): string {
  const trimmed = text.trimEnd();
  return trimmed.length <= chars ? trimmed : `…${trimmed.slice(-chars)}`;
}
