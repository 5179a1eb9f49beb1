import { PanelError } from '../errors.js';
import { readFiles, writeFiles, type RemoteFile } from '../ssh/files.js';
import type { RemoteRunner } from '../ssh/runner.js';

/** The hash we record for a file that does not exist, so "absent" is guarded like any content. */
export const ABSENT = 'absent';

export function shaOf(file: RemoteFile): string {
  return file.exists ? (file.sha256 as string) : ABSENT;
}

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

/**
 * Reads the files a plan will touch and refuses when any differs from what the plan was computed
 * from. The same read is the checkpoint, so what we save is exactly what we checked.
 */
export async function readGuarded(session: RemoteRunner, expected: ReadonlyArray<{ path: string; sha256: string }>): Promise<RemoteFile[]> {
  const files = await readFiles(
    session,
    expected.map((e) => e.path),
  );
  files.forEach((file, i) => {
    const want = (expected[i] as { sha256: string }).sha256;
    if (shaOf(file) !== want) throw new FileChangedError(file.path, want, shaOf(file));
  });
  return files;
}

/** A state to put a file in: exact bytes, or absent. */
export interface FileState {
  path: string;
  bytes: Buffer | undefined;
}

/**
 * Puts files into the given states: each present one written atomically (temp + rename, keeping mode
 * and owner), absent ones removed, in one command. A file we create is created by the owner of its folder
 * (ssh/files.ts acts as the customer in a customer's folder), so it is theirs with no chown by root.
 */
export async function putFileStates(session: RemoteRunner, states: readonly FileState[]): Promise<void> {
  await writeFiles(
    session,
    states.map((s) => ({ path: s.path, content: s.bytes, modeIfNew: '644' })),
  );
}
