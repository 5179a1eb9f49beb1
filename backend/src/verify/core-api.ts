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

// $1 instance dir: prints its pool.xml when it answers 200, else says why on stderr and fails.
const POOL_OF = `
pool_of() {
  out=$(ask ro_admin read_only_admin_password.txt "$1" -w '\\n@@http %{http_code}' http://localhost/pool.xml) || { echo "$1: no answer" >&2; return 1; }
  case "$out" in
    *'@@http 200') printf '%s' "\${out%'@@http 200'}" ;;
    *) echo "$1: HTTP \${out##*@@http }" >&2; return 1 ;;
  esac
}
`;

// The first instance that answers wins.
const READ_POOL = `${INSTANCES}${POOL_OF}
for d in $(instances); do pool_of "$d" && exit 0; done
echo "no root-owned Passenger instance with a core_api socket answered" >&2
exit ${EXIT_NO_INSTANCE}
`;

// $1 the JSON body naming exactly one app group; to wait for its new processes (0 ms: do not wait; the
// wait also ends when nothing serves and nothing spawns, as in a full pool):
// $2 "<app_root>ROOT</app_root>" as the XML has it, $3 how many new ENABLED processes make it served,
// $4 the longest wait in ms, then the old processes' gupids. Prints its last look at the pool as a pool.xml
// holding only this app's supergroup (the whole pool of a server with hundreds of apps is ~3 KB per app to
// send and parse per restart). The caller judges that document itself: this loop only saves a round trip
// per look while Passenger spawns.
const RESTART_GROUP = `${INSTANCES}${POOL_OF}
body=$1; root=$2; wanted=$3; wait_ms=$4; shift 4
restarted=
for d in $(instances); do
  code=$(ask admin full_admin_password.txt "$d" -o /dev/null -w '%{http_code}' -H 'Content-Type: application/json' --data-binary "$body" http://localhost/pool/restart_app_group.json) || continue
  case "$code" in
    2??) restarted=$d; break ;;
    *) echo "$d answered HTTP $code" >&2; exit ${EXIT_REFUSED} ;;
  esac
done
[ -n "$restarted" ] || { echo "no root-owned Passenger instance with a core_api socket answered" >&2; exit ${EXIT_NO_INSTANCE}; }
[ "$wait_ms" -gt 0 ] || exit 0
end=$(( $(date +%s%N) / 1000000 + wait_ms ))
while pool=$(pool_of "$restarted"); do
  group=$(printf '%s' "$pool" | awk -v RS='</supergroup>' -v root="$root" 'index($0, root) { print substr($0, index($0, "<supergroup>")) }')
  served=$(printf '%s' "$group" | awk -v RS='</process>' '/<gupid>/ {
      g = $0; sub(/.*<gupid>/, "", g); sub(/<\\/gupid>.*/, "", g)
      e = $0; sub(/.*<enabled>/, "", e); sub(/<\\/enabled>.*/, "", e)
      l = $0; sub(/.*<life_status>/, "", l); sub(/<\\/life_status>.*/, "", l)
      if (e == "ENABLED" && l == "ALIVE") print g }' | {
    fresh=0; stale=0
    while read -r g; do
      old=0; for o in "$@"; do [ "$o" = "$g" ] && old=1; done
      if [ $old = 1 ]; then stale=$((stale + 1)); else fresh=$((fresh + 1)); fi
    done
    if [ $fresh -ge "$wanted" ] && [ $stale = 0 ]; then echo yes; elif [ $((fresh + stale)) = 0 ]; then echo none; fi
  })
  [ -n "$group" ] || exit 0
  spawning=$(printf '%s' "$group" | sed -n 's/.*<processes_being_spawned>\\([0-9]*\\)<.*/\\1/p')
  # Nothing serves and nothing spawns (a full pool spawns only for a request): the caller's request must.
  if [ "$served" = none ] && [ "\${spawning:-0}" = 0 ]; then served=yes; fi
  if [ "$served" = yes ] || [ $(( $(date +%s%N) / 1000000 )) -ge $end ]; then
    printf '<?xml version="1.0" encoding="iso-8859-1" ?>\\n<info version="3"><supergroups>%s</supergroup></supergroups></info>' "$group"
    exit 0
  fi
  sleep 0.05
done
exit 0
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

/** What the restart waits for on the server before it answers: the app's new processes serving. */
export interface RestartWait {
  appRoot: string;
  /** New ENABLED processes that make the app served (its min instances, at least 1). */
  wanted: number;
  oldGupids: readonly string[];
  maxWaitMs: number;
}

/**
 * `POST /pool/restart_app_group.json` for exactly the named group, in the newest instance that answers;
 * with `wait`, the same command then looks at the pool every 50 ms until the new processes serve (or the
 * wait ends) and returns its last look as a pool.xml of this app's supergroup only, or '' without one.
 */
export async function restartAppGroup(
  ssh: RemoteRunner,
  groupName: string,
  wait?: RestartWait,
  timeoutMs = 30_000,
): Promise<CoreApiAnswer<string>> {
  const args = wait ? [String(wait.wanted), String(Math.max(1, Math.round(wait.maxWaitMs))), ...wait.oldGupids] : ['0', '0'];
  const root = `<app_root>${escapeXmlText(wait?.appRoot ?? '')}</app_root>`;
  const run = await ssh.execScript(RESTART_GROUP, [restartGroupBody(groupName), root, ...args], { timeoutMs, allowFail: true });
  return run.code === 0 ? { ok: true, value: run.stdout } : unavailable(run.code, run.stderr);
}

/** How Passenger writes text into pool.xml. */
function escapeXmlText(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
