/**
 * The Passenger core's own HTTP API, asked the way passenger-status and passenger-config ask it
 * (field-notes §3), but with curl on the server instead of their Ruby start-up (~0.1 s CPU per call,
 * far more under load): a unix socket `<instance dir>/agents.s/core_api`, HTTP basic auth with the
 * passwords Passenger writes into the instance directory.
 *   GET  /pool.xml                      read-only admin (`ro_admin`), what passenger-status prints
 *   POST /pool/restart_app_group.json   full admin (`admin`), what `passenger-config restart-app` sends
 * Passwords reach curl on its stdin (`-K -`), never in an argument list other local users can read.
 * Only root-owned, non-link instance directories count: a customer can create /tmp/passenger.* too.
 */
import type { RemoteRunner } from '../ssh/runner.js';

/** Why the API could not be used; the caller then falls back to Passenger's own (Ruby) tools. */
export type CoreApiUnavailable = 'no-curl' | 'no-instance' | 'refused';

export type CoreApiAnswer<T> = { ok: true; value: T } | { ok: false; reason: CoreApiUnavailable; detail: string };

const EXIT_NO_CURL = 90;
const EXIT_NO_INSTANCE = 91;
const EXIT_REFUSED = 92;

// Instance directories newest first (properties.json's monotonic creation time: pids wrap), in the
// places Passenger registers them: /var/run/passenger-instreg, $TMPDIR or /tmp, and /tmp of a
// systemd unit with PrivateTmp (Debian's apache2.service).
const INSTANCES = `
command -v curl >/dev/null 2>&1 || exit ${EXIT_NO_CURL}
instances() {
  for d in /var/run/passenger-instreg/passenger.* "\${TMPDIR:-/tmp}"/passenger.* /tmp/systemd-private-*-apache2.service-*/tmp/passenger.* /tmp/systemd-private-*-nginx.service-*/tmp/passenger.*; do
    [ -d "$d" ] && [ ! -L "$d" ] && [ -S "$d/agents.s/core_api" ] && [ "$(stat -c %u "$d")" = 0 ] || continue
    c=$(sed -n 's/.*"created_at_monotonic_usec" *: *\\([0-9][0-9]*\\).*/\\1/p' "$d/properties.json" 2>/dev/null)
    printf '%s %s\\n' "\${c:-0}" "$d"
  done | sort -rn | cut -d' ' -f2-
}
# Instance paths hold no newline; split $(instances) on newlines only.
IFS='
'
# $1 user, $2 password file, $3 instance dir, then curl's own arguments.
ask() {
  user=$1; pwfile=$2; dir=$3; shift 3
  pw=$(cat "$dir/$pwfile" 2>/dev/null) || return 1
  printf 'user = "%s:%s"\\n' "$user" "$pw" | curl -sS --max-time 20 -K - --unix-socket "$dir/agents.s/core_api" "$@"
}
`;

// The first instance that answers 200 wins; its body is printed as is.
const READ_POOL = `${INSTANCES}
last="no root-owned Passenger instance with a core_api socket"
for d in $(instances); do
  out=$(ask ro_admin read_only_admin_password.txt "$d" -w '\\n@@http %{http_code}' http://localhost/pool.xml) || { last="$d: no answer"; continue; }
  case "$out" in
    *'@@http 200') printf '%s' "\${out%'@@http 200'}"; exit 0 ;;
    *) last="$d: HTTP \${out##*@@http }" ;;
  esac
done
echo "$last" >&2
exit ${EXIT_NO_INSTANCE}
`;

// $1: the JSON body naming exactly one app group.
const RESTART_GROUP = `${INSTANCES}
for d in $(instances); do
  code=$(ask admin full_admin_password.txt "$d" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$1" http://localhost/pool/restart_app_group.json) || continue
  case "$code" in
    2??) exit 0 ;;
    *) echo "$d answered HTTP $code" >&2; exit ${EXIT_REFUSED} ;;
  esac
done
echo "no root-owned Passenger instance with a core_api socket answered" >&2
exit ${EXIT_NO_INSTANCE}
`;

function unavailable(code: number, stderr: string): { ok: false; reason: CoreApiUnavailable; detail: string } {
  const reason: CoreApiUnavailable = code === EXIT_NO_CURL ? 'no-curl' : code === EXIT_REFUSED ? 'refused' : 'no-instance';
  return { ok: false, reason, detail: stderr.trim().slice(0, 400) || `exit ${code}` };
}

/** `GET /pool.xml` of the newest instance that answers: the document `passenger-status --show=xml` prints. */
export async function readPoolXml(ssh: RemoteRunner, timeoutMs = 15_000): Promise<CoreApiAnswer<string>> {
  const run = await ssh.execScript(READ_POOL, [], { timeoutMs, allowFail: true });
  return run.code === 0 ? { ok: true, value: run.stdout } : unavailable(run.code, run.stderr);
}

/** The JSON body that names one app group exactly (restart-app by path would match by prefix). */
export function restartGroupBody(groupName: string): string {
  return JSON.stringify({ name: groupName, restart_method: 'blocking' });
}

/** `POST /pool/restart_app_group.json` for exactly the named group, in the newest instance that answers. */
export async function restartAppGroup(ssh: RemoteRunner, groupName: string, timeoutMs = 30_000): Promise<CoreApiAnswer<void>> {
  const run = await ssh.execScript(RESTART_GROUP, [restartGroupBody(groupName)], { timeoutMs, allowFail: true });
  return run.code === 0 ? { ok: true, value: undefined } : unavailable(run.code, run.stderr);
}
