import { PanelError } from '../errors.js';
import { ABSENT } from './server-ops.js';

export { ABSENT, shaOf } from './server-ops.js';

/** Text view of file bytes that maps back to the very same bytes (utf8 when it round-trips, else latin1). */
export function decodeExact(bytes: Buffer): { text: string; encoding: 'utf8' | 'latin1' } {
  const utf8 = bytes.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(bytes)) return { text: utf8, encoding: 'utf8' };
  return { text: bytes.toString('latin1'), encoding: 'latin1' };
}

/** The file changed on the server between plan and write: someone else edited it, so we stop. */
export class FileChangedError extends PanelError {
  constructor(
    readonly path: string,
    expected: string,
    found: string,
  ) {
    super(
      'file_changed',
      `${path} changed since the plan was made (expected ${short(expected)}, found ${short(found)}); nothing was written.`,
      {
        hint: 'Make the plan again so it is computed from the file as it is now.',
      },
    );
  }
}

function short(sha: string): string {
  return sha === ABSENT ? 'no file' : `sha256 ${sha.slice(0, 12)}`;
}
