import { createHash } from 'node:crypto';
import { SshCommandError } from './errors.js';
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

// The root side, shared by reads and writes. `plan_actors LIST` reads absolute paths (one a line) from
// the file LIST and prints one line per path: `A<TAB>uid:gid<TAB>path` (act as that account; 0:0 is
// root), `N<TAB><TAB>path` (a folder on the way is missing: the file is absent) or `R<TAB>reason<TAB>path`.
// Every folder prefix of every path is stat'ed in one process, without following links (no -L), and
// awk walks each path from / down: a link refuses the path, so does a root-owned folder others may write
// to, and the first folder a customer owns makes them the actor for everything below it.
const SAFE_FILES_SHELL = String.raw`
plan_actors() {
  awk '{ n = split($0, a, "/"); q = ""; print "/"; for (i = 2; i < n; i++) { q = q "/" a[i]; print q } }' "$1" \
    | sort -u | tr '\n' '\000' | xargs -0 stat -c '%u|%g|%a|%F|%n' -- 2>/dev/null >"$1.stat"
  getent passwd | cut -d: -f3,4 >"$1.users"
  awk -F'|' '
    FILENAME == ARGV[1] { split($0, u, ":"); gidof[u[1]] = u[2]; next }
    FILENAME == ARGV[2] {
      name = $5; for (i = 6; i <= NF; i++) name = name "|" $i
      uid[name] = $1; gid[name] = $2; perm[name] = $3; type[name] = $4; next
    }
    {
      p = $0; n = split(p, a, "/"); q = ""; check = "/"; actor = "0:0"; verdict = ""
      for (i = 1; i < n; i++) {
        if (i > 1) { q = q "/" a[i]; check = q }
        if (!(check in type)) { verdict = "N\t"; break }
        if (type[check] == "symbolic link") { verdict = "R\tlink-in-path " check; break }
        if (type[check] != "directory") { verdict = "N\t"; break }
        if (uid[check] != "0") { g = (uid[check] in gidof) ? gidof[uid[check]] : gid[check]; actor = uid[check] ":" g; break }
        o = substr(perm[check], length(perm[check]), 1); gp = substr(perm[check], length(perm[check]) - 1, 1)
        if (o ~ /[2367]/ || (gid[check] != "0" && gp ~ /[2367]/)) { verdict = "R\tshared-directory " check; break }
      }
      if (verdict == "") verdict = "A\t" actor
      print verdict "\t" p
    }' "$1.users" "$1.stat" "$1"
}
as_actor() {
  a=$1; shift
  if [ "$a" = 0:0 ]; then sh -c "$@"; else setpriv --reuid="${'$'}{a%:*}" --regid="${'$'}{a#*:}" --clear-groups -- sh -c "$@"; fi
}
safe_read() {
  plan_actors "$1" >"$1.plan"
  grep -v '^A' "$1.plan"
  for a in $(grep '^A' "$1.plan" | cut -f2 | sort -u); do
    printf 'G\t%s\t\n' "$a"
    grep "^A	$a	" "$1.plan" | cut -f3- | as_actor "$a" '__READ_AS_ACTOR__' sh "$2"
  done
}
`;

// Every folder on the way checked again as the acting account: below a customer's first folder only
// they could have planted a link, and following it as them would still show the admin foreign content.
const NO_LINK_ON_THE_WAY = String.raw`
no_link_on_the_way() {
  rest=${'$'}{1#/}; q=
  while :; do
    part=${'$'}{rest%%/*}
    [ "$part" = "$rest" ] && return 0
    rest=${'$'}{rest#*/}; q=$q/$part
    if [ -L "$q" ]; then echo "$q"; return 1; fi
  done
}
`;

// Runs as the acting account with its paths on stdin: builtins decide per path, then one stat gives the
// sizes and one cat the bytes of every file under the cap, in stat's order (`F<TAB>mode uid gid size<TAB>path`
// lines, then one `B<TAB>base64` line). The caller splits the bytes by the sizes; a file that changed
// meanwhile makes the lengths disagree, and the whole group is refused.
const READ_AS_ACTOR = String.raw`
cap=$1
${NO_LINK_ON_THE_WAY}
files=
while IFS= read -r p; do
  if ! bad=$(no_link_on_the_way "$p"); then printf 'R\tlink-in-path %s\t%s\n' "$bad" "$p"; continue; fi
  if [ -L "$p" ]; then printf 'R\tlink\t%s\n' "$p"; continue; fi
  if [ ! -e "$p" ]; then printf 'N\t\t%s\n' "$p"; continue; fi
  if [ ! -f "$p" ]; then printf 'R\tnot-regular\t%s\n' "$p"; continue; fi
  if [ ! -r "$p" ]; then printf 'R\tunreadable\t%s\n' "$p"; continue; fi
  files="$files$p
"
done
[ -n "$files" ] || exit 0
ok=
total=0
stats=$(printf '%s' "$files" | tr '\n' '\000' | xargs -0 stat -c '%s|%a|%u|%g|%n' --)
while IFS='|' read -r size mode u g p; do
  [ -n "$size" ] || continue
  if [ "$size" -gt "$cap" ]; then printf 'R\ttoo-large %s bytes\t%s\n' "$size" "$p"; continue; fi
  printf 'F\t%s %s %s %s\t%s\n' "$mode" "$u" "$g" "$size" "$p"
  ok="$ok$p
"
  total=$((total + size))
done <<PP_STATS
$stats
PP_STATS
[ -n "$ok" ] || exit 0
printf 'B\t'
printf '%s' "$ok" | tr '\n' '\000' | xargs -0 cat -- 2>/dev/null | head -c "$((total + 1))" | base64 -w0
printf '\n'
`;

const quoteForSingle = (script: string): string => script.replace(/'/g, `'\\''`);

/**
 * The shell functions behind every read of a customer-reachable file, for remote scripts that read
 * files in bulk (the inventory): `safe_read LIST CAP` prints the records parseReadRecords decodes.
 */
export const SAFE_READ_SHELL = SAFE_FILES_SHELL.replace('__READ_AS_ACTOR__', quoteForSingle(READ_AS_ACTOR));

const READ_SCRIPT = `${SAFE_READ_SHELL}
set -u
umask 077
t=$(mktemp -d) || exit 70
trap 'rm -rf "$t"' EXIT
cap=$1; shift
printf '%s\n' "$@" >"$t/list"
safe_read "$t/list" "$cap"
`;

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

// Runs as the acting account, for one path, with the new bytes on stdin (none for a removal). The guard
// is checked right before the rename, in this same process. `mv -T` renames onto the name itself: if the
// name became a link meanwhile, the link is replaced, never followed.
const WRITE_AS_ACTOR = String.raw`
p=$1; size=$2; guard=$3; mode=$4
${NO_LINK_ON_THE_WAY}
if ! bad=$(no_link_on_the_way "$p"); then echo "R link-in-path $bad"; exit 1; fi
cur=absent
if [ -L "$p" ]; then echo "R link"; exit 1; fi
if [ -e "$p" ] && [ ! -f "$p" ]; then echo "R not-regular"; exit 1; fi
if [ "$size" = - ]; then
  if [ -f "$p" ]; then cur=$(timeout 10 sha256sum -- "$p" | cut -c1-64); fi
  if [ "$guard" != - ] && [ "$cur" != "$guard" ]; then echo "C $cur"; exit 1; fi
  rm -f -- "$p" || { echo "E cannot remove"; exit 1; }
  echo "W"; exit 0
fi
d=${'$'}{p%/*}
tmp=$(mktemp "$d/.passenger-panel.XXXXXX") || { echo "E cannot create a temp file in $d"; exit 1; }
trap 'rm -f -- "$tmp"' EXIT
head -c "$size" >"$tmp" || { echo "E write failed (disk full?)"; exit 1; }
got=$(wc -c <"$tmp")
[ "$got" -eq "$size" ] || { echo "E short write: $got of $size bytes (disk full?)"; exit 1; }
if [ -L "$p" ]; then echo "R link"; exit 1; fi
if [ -f "$p" ]; then
  cur=$(timeout 10 sha256sum -- "$p" | cut -c1-64)
  chmod --reference="$p" -- "$tmp"
  if [ "$(id -u)" = 0 ]; then chown --reference="$p" -- "$tmp"; fi
else
  chmod "$mode" -- "$tmp"
fi
if [ "$guard" != - ] && [ "$cur" != "$guard" ]; then echo "C $cur"; exit 1; fi
sync -d -- "$tmp" 2>/dev/null || :
mv -f -T -- "$tmp" "$p" || { echo "E rename failed"; exit 1; }
trap - EXIT
echo "W"
`;

// Every actor is decided before anything is written; then one file at a time, its bytes cut from stdin
// by the root side and handed to the actor's process.
const WRITE_SCRIPT = `${SAFE_FILES_SHELL}
set -u
umask 077
t=$(mktemp -d) || exit 70
trap 'rm -rf "$t"' EXIT
n=0
for x in "$@"; do
  n=$((n + 1))
  if [ $((n % 4)) = 1 ]; then printf '%s\n' "$x"; fi
done >"$t/list"
plan_actors "$t/list" >"$t/plan"
while [ $# -gt 0 ]; do
  p=$1; size=$2; guard=$3; mode=$4; shift 4
  kind=; actor=
  while IFS='	' read -r k a q; do
    if [ "$q" = "$p" ]; then kind=$k; actor=$a; break; fi
  done <"$t/plan"
  if [ "$kind" != A ]; then
    [ "$size" = - ] || head -c "$size" >/dev/null
    if [ "$kind" = R ]; then echo "R $actor"; else echo "E its folder does not exist"; fi
    exit 3
  fi
  if [ "$size" = - ]; then
    as_actor "$actor" '${quoteForSingle(WRITE_AS_ACTOR)}' sh "$p" - "$guard" "$mode" </dev/null || exit 3
  else
    head -c "$size" | as_actor "$actor" '${quoteForSingle(WRITE_AS_ACTOR)}' sh "$p" "$size" "$guard" "$mode" || exit 3
  fi
done
`;

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
