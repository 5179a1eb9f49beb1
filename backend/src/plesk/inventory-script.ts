import { PanelError } from '../errors.js';
import { SAFE_READ_SHELL } from '../ssh/file-scripts.js';
import { MAX_CONFIG_FILE_BYTES, parseReadRecords, type RefusedRead } from '../ssh/files.js';
import { shScript } from '../ssh/quote.js';
import { pleskLayout } from './layout.js';
import { readTarGz } from './tar.js';

/**
 * The one remote read behind an inventory. A POSIX sh script that, in a single exec whatever the
 * number of domains, collects:
 *   - `plesk bin domain --list` and `plesk bin site --list` (union), `plesk ext nodejs --versions`;
 *   - per domain, the admin files vhost.conf, vhost_ssl.conf, vhost_nginx.conf (whole) and the
 *     generated last_httpd.conf / last_nginx.conf (only the lines that matter, with their line numbers:
 *     these files are large on real Plesk and we never need the rest);
 *   - the document root's .htaccess (the document root is read from the generated files);
 *   - global web-server config files that mention Passenger, plus apache2.conf / nginx.conf;
 *   - `passenger-status --show=xml` and `passenger-config --version`, the enabled Apache and nginx
 *     modules.
 * The shell loops over domains with builtins only (no process per domain), so 500 domains cost about
 * as much as 5. Everything is packed into one gzip'd tar, base64 encoded between two marker lines, so
 * any file content (binary, CRLF, ISO-8859-1 XML) arrives byte for byte and a cut stream is detected.
 */

export const INVENTORY_BEGIN = 'PP-INVENTORY-1';
export const INVENTORY_END = 'PP-INVENTORY-END';

/** Where Plesk keeps things; tests may point elsewhere, nothing else should. */
export interface InventoryPaths {
  /** `/var/www/vhosts/system`: one `<domain>/conf/` folder per domain. */
  systemDir: string;
}

export const PLESK_PATHS: InventoryPaths = { systemDir: pleskLayout.systemRoot };

/** Lines of last_httpd.conf / last_nginx.conf worth shipping: block structure, identity, TLS, Passenger. */
export const GENERATED_LINE_PATTERN =
  '^[[:space:]]*(<|[{}]|passenger|documentroot|root[[:space:]]|servername|serveralias|sslengine|include|allowoverride|listen|server_name|ssl_certificate[[:space:]]|location|server[[:space:]]*[{]|if[[:space:]]|alias)|[{}][[:space:]]*$';

/** Global config files that may hold Passenger settings (unmatched globs are harmless: grep -s). */
const GLOBAL_CANDIDATES = [
  '/etc/apache2/apache2.conf',
  '/etc/apache2/mods-enabled/*.conf',
  '/etc/apache2/mods-enabled/*.load',
  '/etc/apache2/conf-enabled/*.conf',
  '/etc/apache2/conf.d/*.conf',
  '/etc/apache2/sites-enabled/*',
  '/etc/httpd/conf/httpd.conf',
  '/etc/httpd/conf.d/*.conf',
  '/etc/httpd/conf.modules.d/*.conf',
  '/etc/nginx/nginx.conf',
  '/etc/nginx/conf.d/*.conf',
  '/etc/nginx/modules.conf.d/*.conf',
  '/etc/nginx/modules-enabled/*.conf',
];
/** Always shipped when present: they hold AllowOverride defaults and the top of the include trees. */
const ALWAYS_GLOBAL = ['/etc/apache2/apache2.conf', '/etc/httpd/conf/httpd.conf', '/etc/nginx/nginx.conf'];

// Positional parameters: $1 = system dir, $2 = grep pattern for generated files, $3 = size cap of a .htaccess.
// Why each odd bit is there:
//  - `run` writes stdout/stderr/exit code per command into the temp dir, so nothing needs pipefail and
//    the slow commands (each `plesk` call starts an interpreter) can run in the background at once;
//  - domain names come from the remote `plesk` output: anything with a slash, whitespace, a control
//    character or a leading dot is skipped, so it can never walk out of the system dir;
//  - tar keeps absolute names (-P) so they map back to remote paths, -h so that a symlinked
//    vhost.conf is read as the file it points to;
//  - no shell parameter expansion with braces appears below: this is a JS template.
//  - passenger-status is retried against PrivateTmp registry dirs (Debian's systemd units).
const SCRIPT = String.raw`
${SAFE_READ_SHELL}
set -u
umask 077
sysdir=$1
pattern=$2
t=$(mktemp -d) || { echo "cannot create a temp dir" >&2; exit 70; }
trap 'rm -rf "$t"' EXIT HUP INT TERM
mkdir "$t/out"
run() {
  name=$1; shift
  "$@" >"$t/out/$name.out" 2>"$t/out/$name.err" </dev/null
  echo $? >"$t/out/$name.rc"
}
read_status() {
  run passenger-status passenger-status --show=xml
  read rc <"$t/out/passenger-status.rc"
  [ "$rc" = 0 ] && return 0
  for reg in /tmp/systemd-private-*-apache2.service-*/tmp /tmp/systemd-private-*-httpd.service-*/tmp /tmp/systemd-private-*-nginx.service-*/tmp; do
    [ -d "$reg" ] || continue
    run passenger-status env PASSENGER_INSTANCE_REGISTRY_DIR="$reg" passenger-status --show=xml
    read rc <"$t/out/passenger-status.rc"
    [ "$rc" = 0 ] && return 0
  done
}
# The slow commands run side by side; only the domain lists are waited for before the file walk.
run domain-list plesk bin domain --list &
lists=$!
run site-list plesk bin site --list &
lists="$lists $!"
run nodejs-versions plesk ext nodejs --versions &
run passenger-version passenger-config --version &
read_status &
wait $lists
{ ls -1 /etc/apache2/mods-enabled /etc/httpd/conf.modules.d 2>/dev/null; } >"$t/out/apache-modules.out"
{ ls -1 /etc/nginx/modules-enabled /etc/nginx/modules.conf.d 2>/dev/null; } >"$t/out/nginx-modules.out"
{ command -v apache2ctl apachectl httpd nginx 2>/dev/null; } >"$t/out/web-servers.out"

cat "$t/out/domain-list.out" "$t/out/site-list.out" | tr -d '\r' | sort -u >"$t/domains"
: >"$t/list"
: >"$t/generated"
{
  while IFS= read -r d; do
    case $d in
      ''|.*|*/*|*[[:space:]]*|*[[:cntrl:]]*) continue ;;
    esac
    printf '%s\n' "$d" >&5
    c="$sysdir/$d/conf"
    for f in vhost.conf vhost_ssl.conf vhost_nginx.conf; do
      [ -f "$c/$f" ] && [ -r "$c/$f" ] && printf '%s\n' "$c/$f" >&3
    done
    for f in last_httpd.conf last_nginx.conf; do
      [ -f "$c/$f" ] && [ -r "$c/$f" ] && printf '%s\n' "$c/$f" >&4
    done
  done <"$t/domains"
} 3>>"$t/list" 4>>"$t/generated" 5>"$t/out/domains.out"

: >"$t/out/generated.grep"
: >"$t/docroots"
if [ -s "$t/generated" ]; then
  tr '\n' '\0' <"$t/generated" | xargs -0 grep -n -i -H -Z -E "$pattern" >"$t/out/generated.grep" 2>/dev/null
  tr '\n' '\0' <"$t/generated" | xargs -0 grep -h -i -E '^[[:space:]]*(DocumentRoot|root)[[:space:]]' 2>/dev/null \
    | sed -e 's/^[[:space:]]*[A-Za-z]*[[:space:]]*//' -e 's/[;[:space:]]*$//' -e 's/^"\(.*\)"$/\1/' \
    | sort -u >"$t/docroots"
fi
# .htaccess lives in the customer's own folder: read it the safe way (as its owner, no link followed,
# size capped), never through tar as root.
{
  while IFS= read -r r; do
    case $r in
      /*) printf '%s\n' "$r/.htaccess" ;;
    esac
  done <"$t/docroots"
} >"$t/htaccess.list"
safe_read "$t/htaccess.list" "$3" >"$t/out/htaccess.records"

{
  grep -l -i -s -E 'passenger' ${GLOBAL_CANDIDATES.join(' ')} 2>/dev/null
  for f in ${ALWAYS_GLOBAL.join(' ')}; do [ -f "$f" ] && printf '%s\n' "$f"; done
} | sort -u >"$t/out/globals.out"
cat "$t/out/globals.out" >>"$t/list"

wait
printf '%s\n' '${INVENTORY_BEGIN}'
tar -chPf - -C "$t" out -T "$t/list" 2>"$t/tar.err" | gzip -c | base64
printf '%s\n' '${INVENTORY_END}'
`;

/** The argv of the inventory read: run it with SshSession.exec (one round trip). */
export function inventoryCommand(paths: InventoryPaths = PLESK_PATHS): string[] {
  return shScript(SCRIPT, [paths.systemDir, GENERATED_LINE_PATTERN, String(MAX_CONFIG_FILE_BYTES)]);
}

export class InventoryReadError extends PanelError {
  constructor(server: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('inventory_read_failed', `server ${server}: ${message}`, options);
  }
}

/** One remote command's result inside the inventory read. */
export interface RawCommand {
  stdout: Buffer;
  stderr: string;
  /** Exit status; undefined when the script did not record one (the command was not run). */
  code: number | undefined;
}

/** One matching line of a generated file (last_httpd.conf / last_nginx.conf), numbered from 1. */
export interface GeneratedLine {
  line: number;
  text: string;
}

/** What the remote read returned, before any interpretation. */
export interface RawInventory {
  /** Valid domain names in the order of the merged list (deduplicated). */
  domains: string[];
  commands: Record<string, RawCommand>;
  /** Absolute path -> bytes, for every admin file, .htaccess and global config that exists. */
  files: Map<string, Buffer>;
  /** Absolute path of a generated file -> its kept lines (a file that exists but has no kept line maps to []). */
  generated: Map<string, GeneratedLine[]>;
  /** Absolute paths of the global config files, in the order the remote side listed them. */
  globalFiles: string[];
  /** Files not read for safety (a customer's link, FIFO or oversized file), by absolute path. */
  refused: Map<string, RefusedRead>;
}

const COMMAND_NAMES = ['domain-list', 'site-list', 'nodejs-versions', 'passenger-version', 'passenger-status'];

/** Decodes the script's stdout. Throws InventoryReadError when the stream is cut or garbled. */
export async function parseInventoryOutput(server: string, stdout: string): Promise<RawInventory> {
  const begin = stdout.indexOf(`${INVENTORY_BEGIN}\n`);
  const end = stdout.lastIndexOf(`${INVENTORY_END}`);
  if (begin < 0 || end < begin) {
    throw new InventoryReadError(server, 'the inventory read returned no complete result (markers missing)', {
      hint: 'the output was cut or the remote shell failed early; check the SSH user can run sh, tar, gzip and base64',
    });
  }
  const body = stdout.slice(begin + INVENTORY_BEGIN.length + 1, end).replace(/\s+/g, '');
  let entries: Map<string, Buffer>;
  try {
    entries = await readTarGz(Buffer.from(body, 'base64'));
  } catch (err) {
    throw new InventoryReadError(server, `the inventory read returned a damaged archive: ${(err as Error).message}`, { cause: err });
  }

  const text = (name: string): string => entries.get(`out/${name}`)?.toString('utf8') ?? '';
  const commands: Record<string, RawCommand> = {};
  for (const name of COMMAND_NAMES) {
    const rc = text(`${name}.rc`).trim();
    commands[name] = {
      stdout: entries.get(`out/${name}.out`) ?? Buffer.alloc(0),
      stderr: text(`${name}.err`),
      code: rc === '' ? undefined : Number(rc),
    };
  }
  for (const name of ['apache-modules', 'nginx-modules', 'web-servers']) {
    commands[name] = { stdout: entries.get(`out/${name}.out`) ?? Buffer.alloc(0), stderr: '', code: 0 };
  }

  const files = new Map<string, Buffer>();
  for (const [name, data] of entries) {
    if (name.startsWith('/')) files.set(name, data);
  }
  const refused = new Map<string, RefusedRead>();
  for (const [path, read] of parseReadRecords(text('htaccess.records'))) {
    if ('refusal' in read) refused.set(path, read);
    else if (read.exists) files.set(path, read.bytes);
  }
  return {
    domains: lines(text('domains.out')),
    commands,
    files,
    generated: parseGeneratedGrep(entries.get('out/generated.grep') ?? Buffer.alloc(0)),
    globalFiles: lines(text('globals.out')),
    refused,
  };
}

function lines(text: string): string[] {
  return text
    .split('\n')
    .map((l) => l.replace(/\r$/, ''))
    .filter((l) => l !== '');
}

/** Parses `grep -n -H -Z` output: `path\0N:text\n` per line. */
export function parseGeneratedGrep(data: Buffer): Map<string, GeneratedLine[]> {
  const result = new Map<string, GeneratedLine[]>();
  let pos = 0;
  while (pos < data.length) {
    const nul = data.indexOf(0, pos);
    if (nul < 0) break;
    const path = data.subarray(pos, nul).toString('utf8');
    let eol = data.indexOf(0x0a, nul + 1);
    if (eol < 0) eol = data.length;
    const rest = data.subarray(nul + 1, eol).toString('utf8');
    pos = eol + 1;
    const colon = rest.indexOf(':');
    const line = Number(rest.slice(0, colon));
    if (colon < 1 || !Number.isInteger(line)) continue;
    const list = result.get(path) ?? [];
    result.set(path, list);
    list.push({ line, text: rest.slice(colon + 1).replace(/\r$/, '') });
  }
  return result;
}

/**
 * Rebuilds a generated file from its kept lines, with blank lines where lines were dropped, so a
 * parser reports the same line numbers as in the real file.
 */
export function sparseText(kept: readonly GeneratedLine[]): string {
  const out: string[] = [];
  for (const { line, text } of kept) {
    while (out.length < line - 1) out.push('');
    out.push(text);
  }
  return out.join('\n');
}
