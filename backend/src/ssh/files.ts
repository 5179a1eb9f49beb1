import { createHash } from 'node:crypto';
import { SshCommandError } from './errors.js';
import type { SshSession } from './session.js';

export interface RemoteFile {
  path: string;
  exists: boolean;
  /** Exact bytes (empty when the file does not exist). */
  bytes: Buffer;
  /** The bytes decoded as UTF-8; config files are text. */
  content: string;
  /** SHA-256 hex of the bytes; undefined when the file does not exist. */
  sha256: string | undefined;
  /** Permission bits in octal, e.g. "644". */
  mode: string | undefined;
  uid: number | undefined;
  gid: number | undefined;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

// One round trip for any number of files: a header line per path, then the bytes as one base64 line.
const READ_SCRIPT = `
for p in "$@"; do
  if [ -f "$p" ]; then
    printf 'F %s\\n' "$(stat -L -c '%a %u %g' -- "$p")"
    base64 -w0 -- "$p"
    printf '\\n'
  elif [ -e "$p" ]; then
    printf 'X\\n'
  else
    printf 'N\\n'
  fi
done
`;

/**
 * Reads several files in one command. A missing path comes back with exists=false; a path that exists
 * but is not a regular file is refused, since none of the files we manage can be anything else.
 */
export async function readFiles(session: SshSession, paths: readonly string[]): Promise<RemoteFile[]> {
  if (paths.length === 0) return [];
  const { stdout } = await session.execScript(READ_SCRIPT, paths);
  const lines = stdout.split('\n');
  let i = 0;
  return paths.map((path) => {
    const header = lines[i++] ?? '';
    if (header === 'N') {
      return {
        path,
        exists: false,
        bytes: Buffer.alloc(0),
        content: '',
        sha256: undefined,
        mode: undefined,
        uid: undefined,
        gid: undefined,
      };
    }
    if (header === 'X') {
      throw new SshCommandError(session.name, `server ${session.name}: ${path} exists but is not a regular file`, {
        exitCode: 0,
        stderrTail: '',
        stdout: '',
      });
    }
    const match = /^F (\d+) (\d+) (\d+)$/.exec(header);
    if (!match) {
      throw new SshCommandError(
        session.name,
        `server ${session.name}: unexpected output while reading ${path}: ${JSON.stringify(header.slice(0, 80))}`,
        {
          exitCode: 0,
          stderrTail: '',
          stdout: stdout.slice(0, 2000),
        },
      );
    }
    const bytes = Buffer.from(lines[i++] ?? '', 'base64');
    return {
      path,
      exists: true,
      bytes,
      content: bytes.toString('utf8'),
      sha256: sha256Hex(bytes),
      mode: match[1],
      uid: Number(match[2]),
      gid: Number(match[3]),
    };
  });
}

export interface FileWrite {
  path: string;
  content: string | Buffer;
  /** Mode for a file that does not exist yet (octal string); an existing file keeps its mode and owner. */
  modeIfNew?: string;
}

// Per file: temp file in the same directory (so the rename is atomic), exact byte count from stdin,
// mode and owner copied from the file it replaces, then rename over it. A symlink keeps pointing at its target.
const WRITE_SCRIPT = `
set -e
tmp=
trap 'if [ -n "$tmp" ]; then rm -f -- "$tmp"; fi' EXIT
while [ $# -gt 0 ]; do
  p=$1; size=$2; mode=$3; shift 3
  target=$p
  if [ -L "$p" ]; then target=$(readlink -f -- "$p"); fi
  tmp=$(mktemp "$(dirname -- "$target")/.passenger-panel.XXXXXX")
  head -c "$size" > "$tmp"
  got=$(wc -c < "$tmp")
  if [ "$got" -ne "$size" ]; then echo "short write for $p: $got of $size bytes" >&2; exit 3; fi
  if [ -e "$target" ]; then
    chmod --reference="$target" -- "$tmp"
    chown --reference="$target" -- "$tmp"
  else
    chmod "$mode" -- "$tmp"
  fi
  mv -f -- "$tmp" "$target"
  tmp=
done
`;

/**
 * Writes several files in one command, each atomically (temp file + rename; readers see the old or the
 * new content, never half). Not atomic across files: a failure leaves earlier files written, which is
 * why apply/ takes a checkpoint first. Returns the SHA-256 of what was written, per path.
 */
export async function writeFiles(
  session: SshSession,
  files: readonly FileWrite[],
  opts: { timeoutMs?: number } = {},
): Promise<Record<string, string>> {
  if (files.length === 0) return {};
  const args: string[] = [];
  const payload: Buffer[] = [];
  const hashes: Record<string, string> = {};
  for (const file of files) {
    const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    const mode = file.modeIfNew ?? '644';
    if (!/^[0-7]{3,4}$/.test(mode)) throw new Error(`invalid file mode ${JSON.stringify(mode)} for ${file.path}`);
    args.push(file.path, String(bytes.length), mode);
    payload.push(bytes);
    hashes[file.path] = sha256Hex(bytes);
  }
  await session.execScript(WRITE_SCRIPT, args, { stdin: Buffer.concat(payload), ...opts });
  return hashes;
}

/** Removes files (used to undo the creation of a file that did not exist before). Missing files are fine. */
export async function removeFiles(session: SshSession, paths: readonly string[]): Promise<void> {
  if (paths.length === 0) return;
  await session.exec(['rm', '-f', '--', ...paths]);
}
