import { createHash } from 'node:crypto';
import { PanelError } from '../errors.js';
import { shScript } from '../ssh/quote.js';

/** What apply/ needs from an SSH session: one command from an argument list, optional stdin. */
export interface RemoteExec {
  exec(
    argv: string[],
    opts?: { stdin?: string; timeoutMs?: number; allowFail?: boolean },
  ): Promise<{ stdout: string; stderr: string; code: number }>;
}

/** One file as it is on the server right now (or its absence), byte for byte. */
export interface FileSnapshot {
  path: string;
  exists: boolean;
  bytes: Buffer;
  /** octal permission bits, e.g. "644"; '' when the file does not exist */
  mode: string;
  uid: number;
  gid: number;
  sha256: string;
}

/** The sha256 we record for a file that does not exist, so "absent" can be guarded like any content. */
export const ABSENT = 'absent';

export function sha256Hex(bytes: Buffer | string): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** Text view of file bytes that maps back to the very same bytes (utf8 when it round-trips, else latin1). */
export function decodeExact(bytes: Buffer): { text: string; encoding: 'utf8' | 'latin1' } {
  const utf8 = bytes.toString('utf8');
  if (Buffer.from(utf8, 'utf8').equals(bytes)) return { text: utf8, encoding: 'utf8' };
  return { text: bytes.toString('latin1'), encoding: 'latin1' };
}

/** The file changed on the server between plan and write: someone else edited it, so we stop. */
export class FileChangedError extends PanelError {
  constructor(readonly path: string, expected: string, found: string) {
    super('file_changed', `${path} changed since the plan was made (expected ${short(expected)}, found ${short(found)}); nothing was written.`, {
      hint: 'Run the plan again so it is computed from the file as it is now.',
    });
  }
}

export class RemoteFileError extends PanelError {
  constructor(message: string, detail: string) {
    super('remote_file', `${message}: ${detail.trim().split('\n').slice(-3).join(' | ')}`, {
      hint: 'Check that the SSH user may write the domain files and that the disk is not full.',
    });
  }
}

function short(sha: string): string {
  return sha === ABSENT ? 'no file' : `sha256 ${sha.slice(0, 12)}`;
}

// One line per path, in argument order: "E <mode> <uid> <gid> <base64>" or "N".
const READ_SCRIPT = `
for f in "$@"; do
  if [ -f "$f" ]; then
    printf 'E %s ' "$(stat -c '%a %u %g' "$f")" || exit 1
    base64 -w0 "$f" || exit 1
    printf '\\n'
  else
    printf 'N\\n'
  fi
done`;

/** Reads several files in one round trip, keeping bytes, mode and owner (what a checkpoint needs). */
export async function readSnapshots(remote: RemoteExec, paths: string[]): Promise<FileSnapshot[]> {
  if (paths.length === 0) return [];
  const res = await remote.exec(shScript(READ_SCRIPT, paths), { allowFail: true, timeoutMs: 30_000 });
  if (res.code !== 0) throw new RemoteFileError('Could not read the domain files', res.stderr);
  const lines = res.stdout.split('\n');
  return paths.map((path, i) => {
    const line = lines[i] ?? '';
    if (line === 'N') return { path, exists: false, bytes: Buffer.alloc(0), mode: '', uid: -1, gid: -1, sha256: ABSENT };
    const m = /^E (\d+) (\d+) (\d+) ?(\S*)$/.exec(line);
    if (!m) throw new RemoteFileError(`Unexpected answer while reading ${path}`, line.slice(0, 200));
    const bytes = Buffer.from(m[4] as string, 'base64');
    return { path, exists: true, bytes, mode: m[1] as string, uid: Number(m[2]), gid: Number(m[3]), sha256: sha256Hex(bytes) };
  });
}

/** A file to put in place: exact bytes, or absent (delete), guarded by what we expect to find there now. */
export interface FileWrite {
  path: string;
  /** undefined = the file must not exist afterwards */
  bytes: Buffer | undefined;
  /** sha256 of the current content, or ABSENT; undefined skips the guard (restoring a checkpoint) */
  expectSha256: string | undefined;
  /** used when the file is created: mode and owner to give it (defaults: 644, owner of its directory) */
  createMode?: string;
  createUid?: number;
  createGid?: number;
}

// Args come in groups of 6: path, expected sha (or "-" for no guard), op (W/D), mode, uid, gid; for each W one
// base64 line on stdin. Every guard is checked before anything is written, then each file is written to a
// temporary file beside it and renamed over it, so readers see the old or the new file, never a half one.
const WRITE_SCRIPT = `
set -u
k=0
for a in "$@"; do
  case $((k % 6)) in
    0) f=$a ;;
    1) if [ "$a" != - ]; then
         if [ -f "$f" ]; then cur=$(sha256sum < "$f" | cut -d' ' -f1); else cur=absent; fi
         if [ "$cur" != "$a" ]; then echo "CHANGED $cur $f" >&2; exit 3; fi
       fi ;;
  esac
  k=$((k+1))
done
while [ $# -ge 6 ]; do
  f=$1; op=$3; mode=$4; uid=$5; gid=$6
  shift 6
  if [ "$op" = D ]; then
    rm -f -- "$f" || exit 1
    continue
  fi
  IFS= read -r data || data=
  d=$(dirname -- "$f")
  tmp=$(mktemp "$d/.pp-write-XXXXXX") || exit 1
  if ! printf '%s' "$data" | base64 -d > "$tmp"; then rm -f -- "$tmp"; exit 1; fi
  if [ -f "$f" ]; then
    chmod --reference="$f" "$tmp" && chown --reference="$f" "$tmp"
  else
    chmod "$mode" "$tmp" && chown "$uid:$gid" "$tmp"
  fi || { rm -f -- "$tmp"; exit 1; }
  mv -f -- "$tmp" "$f" || { rm -f -- "$tmp"; exit 1; }
done`;

/**
 * Writes (or deletes) several files in one round trip: all guards first, then temp + rename per file,
 * keeping the mode and owner of files that exist. Refuses with FileChangedError when a guard fails.
 */
export async function writeFilesAtomically(remote: RemoteExec, writes: FileWrite[], dirOwners: Map<string, { uid: number; gid: number }> = new Map()): Promise<void> {
  if (writes.length === 0) return;
  const args: string[] = [];
  const stdin: string[] = [];
  for (const w of writes) {
    const dirOwner = dirOwners.get(dirnameOf(w.path));
    args.push(
      w.path,
      w.expectSha256 ?? '-',
      w.bytes === undefined ? 'D' : 'W',
      w.createMode ?? '644',
      String(w.createUid ?? dirOwner?.uid ?? 0),
      String(w.createGid ?? dirOwner?.gid ?? 0),
    );
    if (w.bytes !== undefined) stdin.push(w.bytes.toString('base64'));
  }
  const res = await remote.exec(shScript(WRITE_SCRIPT, args), { stdin: stdin.join('\n') + '\n', allowFail: true, timeoutMs: 30_000 });
  if (res.code === 3) {
    const m = /CHANGED (\S+) (.*)/.exec(res.stderr);
    const path = m?.[2] ?? '?';
    const expected = writes.find((w) => w.path === path)?.expectSha256 ?? '?';
    throw new FileChangedError(path, expected, m?.[1] ?? '?');
  }
  if (res.code !== 0) throw new RemoteFileError('Could not write the domain files', res.stderr || res.stdout);
}

function dirnameOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i <= 0 ? '/' : path.slice(0, i);
}

/** Owner of each directory, so a file we create gets the owner its neighbours have (a customer's docroot). */
export async function readDirOwners(remote: RemoteExec, dirs: string[]): Promise<Map<string, { uid: number; gid: number }>> {
  const unique = [...new Set(dirs)];
  const owners = new Map<string, { uid: number; gid: number }>();
  if (unique.length === 0) return owners;
  const res = await remote.exec(shScript('for d in "$@"; do stat -c "%u %g" "$d" 2>/dev/null || echo "- -"; done', unique), { allowFail: true });
  const lines = res.stdout.split('\n');
  unique.forEach((d, i) => {
    const m = /^(\d+) (\d+)$/.exec(lines[i] ?? '');
    if (m) owners.set(d, { uid: Number(m[1]), gid: Number(m[2]) });
  });
  return owners;
}
