import { createHash } from 'node:crypto';
import { SshCommandError } from './errors.js';
import { READ_SCRIPT, WRITE_SCRIPT } from './file-scripts.js';
import type { RemoteRunner } from './runner.js';

/**
 * Reading and writing the few files we manage on a server, as root, where customers own parts of the
 * tree (on Plesk a subscription's user owns /var/www/vhosts/<domain>/ and everything below it).
 *
 * Root never acts through a customer's files. For every path, a root-run walk checks each directory
 * from / downwards with no link followed: a symbolic link in any directory component is refused, as is a
 * root-owned directory that others may write to. From the first directory a customer owns, the rest of
 * the work (checks, read, temp file, rename, removal) runs as that customer (`setpriv` with their uid,
 * their primary gid and no supplementary groups), so a link, hard link or rename the customer plants can
 * only ever reach what the customer could reach anyway. The file itself must be a regular file, never a
 * link, and no larger than a cap checked before it is read.
 */

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

/** Why a path was not read or written. */
export type FileRefusal =
  | 'link' // the file itself is a symbolic link
  | 'link-in-path' // a directory on the way is a symbolic link
  | 'shared-directory' // a root-owned directory on the way is writable by others
  | 'not-regular' // a directory, FIFO, device or socket
  | 'too-large' // over the size cap
  | 'unreadable' // the acting user may not read it (e.g. a hard link to a file they do not own)
  | 'not-absolute'; // a relative path, or one with . or .. components

export const REFUSAL_TEXT: Record<FileRefusal, string> = {
  link: 'is a symbolic link; Passenger Panel never follows links in a customer tree',
  'link-in-path': 'has a symbolic link among its folders; Passenger Panel never follows links in a customer tree',
  'shared-directory': 'lies in a root-owned folder that other users may write to',
  'not-regular': 'exists but is not a regular file',
  'too-large': 'is larger than the size cap for config files',
  unreadable: 'cannot be read by the owner of its folder',
  'not-absolute': 'is not a plain absolute path',
};

/** A file the server refused to read or write for the safety reasons above. */
export class UnsafeFileError extends SshCommandError {
  constructor(
    server: string,
    readonly path: string,
    readonly refusal: FileRefusal,
    detail = '',
  ) {
    super(server, `server ${server}: ${path} ${REFUSAL_TEXT[refusal]}${detail ? ` (${detail})` : ''}; nothing was read or written there.`, {
      exitCode: 0,
      stderrTail: '',
      stdout: '',
    });
  }
}

/** The file changed on the server after the caller read it: the write was refused before anything was renamed. */
export class GuardMismatchError extends SshCommandError {
  constructor(
    server: string,
    readonly path: string,
    readonly found: string,
  ) {
    super(
      server,
      `server ${server}: ${path} changed since it was read (now ${found === ABSENT ? 'absent' : `sha256 ${found.slice(0, 12)}`}); nothing was written.`,
      {
        exitCode: 0,
        stderrTail: '',
        stdout: '',
      },
    );
  }
}

/** The hash recorded for a file that does not exist, so "absent" is guarded like any content. */
export const ABSENT = 'absent';

/** Largest config file read or written: Apache's .htaccess and Plesk's vhost files are a few KiB. */
export const MAX_CONFIG_FILE_BYTES = 1024 * 1024;

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}
/** A path the remote side takes: absolute, plain components, no control characters. */
export function checkRemotePath(path: string): boolean {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  return path.startsWith('/') && !/[\x00-\x1f\x7f]/.test(path) && !/(^|\/)\.{1,2}(\/|$)/.test(path) && !path.includes('//');
}

/**
 * Reads several files in one command. A missing path (or missing folder) comes back with exists=false.
 * A path refused for safety throws UnsafeFileError; readFilesSettled gives the refusals per file instead.
 */
export async function readFiles(runner: RemoteRunner, paths: readonly string[], opts: { maxBytes?: number } = {}): Promise<RemoteFile[]> {
  const settled = await readFilesSettled(runner, paths, opts);
  return settled.map((r) => {
    if ('refusal' in r) throw new UnsafeFileError(runner.name, r.path, r.refusal, r.detail);
    return r;
  });
}

export type RefusedRead = { path: string; refusal: FileRefusal; detail: string };
export type SettledRead = RemoteFile | RefusedRead;

/** Like readFiles, but a refused path comes back as its refusal, so one hostile file spoils no other. */
export async function readFilesSettled(
  runner: RemoteRunner,
  paths: readonly string[],
  opts: { maxBytes?: number } = {},
): Promise<SettledRead[]> {
  if (paths.length === 0) return [];
  const cap = opts.maxBytes ?? MAX_CONFIG_FILE_BYTES;
  const plain = [...new Set(paths.filter(checkRemotePath))];
  const { stdout } = plain.length > 0 ? await runner.execScript(READ_SCRIPT, [String(cap), ...plain]) : { stdout: '' };
  const byPath = parseReadRecords(stdout, cap);
  return paths.map((path): SettledRead => {
    if (!checkRemotePath(path)) return { path, refusal: 'not-absolute', detail: '' };
    const got = byPath.get(path);
    if (got) return got;
    throw new SshCommandError(runner.name, `server ${runner.name}: the file read returned nothing for ${path}`, {
      exitCode: 0,
      stderrTail: '',
      stdout: stdout.slice(0, 2000),
    });
  });
}

/**
 * Decodes safe_read's records. Per actor group, the bytes of its readable files arrive concatenated in
 * the order of their F records; when the byte count does not add up (a file changed while it was read),
 * every file of that group is refused as unreadable.
 */
export function parseReadRecords(stdout: string, cap = MAX_CONFIG_FILE_BYTES): Map<string, SettledRead> {
  const result = new Map<string, SettledRead>();
  let group: Array<{ path: string; mode: string; uid: number; gid: number; size: number }> = [];
  const flush = (b64: string): void => {
    const bytes = Buffer.from(b64, 'base64');
    const total = group.reduce((n, f) => n + f.size, 0);
    let at = 0;
    for (const f of group) {
      if (bytes.length !== total || f.size > cap) {
        result.set(f.path, { path: f.path, refusal: 'unreadable', detail: 'it changed while it was read' });
        continue;
      }
      const data = bytes.subarray(at, at + f.size);
      at += f.size;
      result.set(f.path, {
        path: f.path,
        exists: true,
        bytes: data,
        content: data.toString('utf8'),
        sha256: sha256Hex(data),
        mode: f.mode,
        uid: f.uid,
        gid: f.gid,
      });
    }
    group = [];
  };
  for (const line of stdout.split('\n')) {
    const tab = line.indexOf('\t');
    if (tab < 0) continue;
    const kind = line.slice(0, tab);
    const rest = line.slice(tab + 1);
    if (kind === 'B') {
      flush(rest);
      continue;
    }
    const tab2 = rest.indexOf('\t');
    const field = rest.slice(0, tab2);
    const path = rest.slice(tab2 + 1);
    if (kind === 'G' && group.length > 0) flush('');
    else if (kind === 'N') result.set(path, absentFile(path));
    else if (kind === 'R') {
      const [reason = '', ...detail] = field.split(' ');
      const refusal: FileRefusal = reason in REFUSAL_TEXT ? (reason as FileRefusal) : 'unreadable';
      result.set(path, { path, refusal, detail: detail.join(' ') });
    } else if (kind === 'F') {
      const [mode = '', uid = '', gid = '', size = ''] = field.split(' ');
      group.push({ path, mode, uid: Number(uid), gid: Number(gid), size: Number(size) });
    }
  }
  if (group.length > 0) flush('');
  return result;
}

function absentFile(path: string): RemoteFile {
  return { path, exists: false, bytes: Buffer.alloc(0), content: '', sha256: undefined, mode: undefined, uid: undefined, gid: undefined };
}

/** One file to put in a state: exact bytes, or absent (removed). */
export interface FileWrite {
  path: string;
  /** The new content; undefined removes the file. */
  content: string | Buffer | undefined;
  /** Mode for a file that does not exist yet (octal string, default 644); an existing file keeps its mode. */
  modeIfNew?: string;
  /** sha256 (or ABSENT) the file must have right before it is replaced; checked in the same command. */
  expectSha256?: string;
}

export async function writeFiles(
  runner: RemoteRunner,
  files: readonly FileWrite[],
  opts: { timeoutMs?: number; maxBytes?: number } = {},
): Promise<Record<string, string>> {
  if (files.length === 0) return {};
  const cap = opts.maxBytes ?? MAX_CONFIG_FILE_BYTES;
  const args: string[] = [];
  const payload: Buffer[] = [];
  const hashes: Record<string, string> = {};
  for (const file of files) {
    const mode = file.modeIfNew ?? '644';
    if (!/^[0-7]{3,4}$/.test(mode)) throw new Error(`invalid file mode ${JSON.stringify(mode)} for ${file.path}`);
    const guard = file.expectSha256 ?? '-';
    if (file.content === undefined) {
      args.push(file.path, '-', guard, mode);
      hashes[file.path] = ABSENT;
      continue;
    }
    const bytes = typeof file.content === 'string' ? Buffer.from(file.content, 'utf8') : file.content;
    if (bytes.length > cap) throw new UnsafeFileError(runner.name, file.path, 'too-large', `${bytes.length} bytes to write`);
    args.push(file.path, String(bytes.length), guard, mode);
    payload.push(bytes);
    hashes[file.path] = sha256Hex(bytes);
  }
  const res = await runner.execScript(WRITE_SCRIPT, args, {
    stdin: Buffer.concat(payload),
    allowFail: true,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  const records = res.stdout.split('\n').filter((l) => l !== '');
  const failedAt = records.length - (res.code === 0 ? 0 : 1);
  if (res.code === 0 && records.length === files.length && records.every((r) => r === 'W')) return hashes;
  const path = files[Math.max(0, failedAt)]?.path ?? '(unknown)';
  const last = records[records.length - 1] ?? '';
  const refused = /^R (\S+)(?: (.*))?$/.exec(last);
  if (refused && refused[1]! in REFUSAL_TEXT) throw new UnsafeFileError(runner.name, path, refused[1] as FileRefusal, refused[2] ?? '');
  if (last === 'N')
    throw new SshCommandError(runner.name, `server ${runner.name}: cannot write ${path}: its folder does not exist`, {
      exitCode: res.code,
      stderrTail: '',
      stdout: '',
    });
  const changed = /^C (\S+)$/.exec(last);
  if (changed) throw new GuardMismatchError(runner.name, path, changed[1]!);
  throw new SshCommandError(
    runner.name,
    `server ${runner.name}: writing ${path} failed: ${last.replace(/^E /, '') || res.stderr.trim().slice(-300) || `exit ${res.code}`}`,
    {
      exitCode: res.code,
      stderrTail: res.stderr.slice(-800),
      stdout: res.stdout.slice(0, 2000),
    },
  );
}

/** Removes files (used to undo the creation of a file that did not exist before). Missing files are fine. */
export async function removeFiles(runner: RemoteRunner, paths: readonly string[]): Promise<void> {
  await writeFiles(
    runner,
    paths.map((path) => ({ path, content: undefined })),
  );
}
