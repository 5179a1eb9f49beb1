#!/usr/bin/env bash
# TEST HOST: an extra, independent Plesk-shaped server on this machine (start | stop | status | reset NAME).
#
# Each extra server lives in its own network namespace (pp-NAME) joined to the host by one veth pair
# in 10.213.N.0/24 (host .1, server .2; nothing else is routed: the namespace has no default route and
# the host blackholes 10.213.0.0/16 so nothing for a stopped server ever leaves the machine), and in its
# own mount namespace held by one sleeping process: private /etc/apache2, /etc/nginx, /var/www/vhosts,
# /usr/local/sbin (plesk stand-in), /var/lib/pp-standin, /tmp, /run and logs, all under
# /var/lib/pp-extra/NAME. Inside it, the host helper's provisioning (test/host/lib) builds Apache +
# mod_passenger, nginx and the demo domains from test/host/extra-demo-domains.json, exactly as on the
# main test host; our own sshd listens on 10.213.N.2:22.
#
# Stopping ends every process of the server by pid and takes the veth down, so SSH to it fails as
# unreachable (also for sessions that were open). Connection details: test/host/.state/servers/NAME.json.
set -euo pipefail
# Nothing this script starts (namespace holder, Apache, nginx, forwarders) may keep a descriptor its caller
# handed down: started under `flock /var/lock/pp-host.lock`, a daemon would hold the host lock for as long
# as it runs and block every other suite.
for fd in /proc/$$/fd/*; do
  fd=${fd##*/}
  if ((fd > 2)); then eval "exec $fd>&-" 2>/dev/null || true; fi
done

HOST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
CHECKOUT="$(cd "$HOST_DIR/../.." && pwd)"
EXTRA_ROOT=/var/lib/pp-extra
STATE_DIR="$HOST_DIR/.state/servers"

die() { echo "extra-server: $*" >&2; exit 1; }
log() { echo "extra-server: $*" >&2; }

[ "$(id -u)" = 0 ] || die "must run as root (network and mount namespaces)"

usage() { die "usage: extra-server.sh start|stop|status|reset NAME"; }

valid_name() { [[ "$1" =~ ^[a-z][a-z0-9]{0,9}$ ]] || die "server name must be 1-10 lowercase letters/digits, got '$1'"; }

# A stable small number per server name: it picks the /24 and the veth names.
server_index() {
  local name=$1 dir="$EXTRA_ROOT/$1"
  if [ -f "$dir/index" ]; then cat "$dir/index"; return; fi
  mkdir -p "$EXTRA_ROOT"
  local used n
  used=$(cat "$EXTRA_ROOT"/*/index 2>/dev/null || true)
  for n in $(seq 1 200); do
    if ! grep -qx "$n" <<<"$used"; then mkdir -p "$dir"; echo "$n" >"$dir/index"; echo "$n"; return; fi
  done
  die "no free server index"
}

holder_pid() { local f="$EXTRA_ROOT/$1/holder.pid"; [ -f "$f" ] && cat "$f" || true; }
alive() { [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null; }
# The holder is `sleep infinity` after its exec: a recorded pid that now belongs to anything else is stale.
holder_alive() { alive "${1:-}" && [ "$(tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null)" = "sleep infinity " ]; }
in_server() { local pid; pid=$(holder_pid "$1"); shift; nsenter -t "$pid" -m -n -- "$@"; }

ensure_network() {
  local name=$1 n=$2 ns="pp-$1" hv="pph$2" nv="ppn$2"
  ip route show type blackhole | grep -q '^blackhole 10.213.0.0/16' || ip route add blackhole 10.213.0.0/16
  ip netns list | grep -qw "$ns" || ip netns add "$ns"
  if ! ip link show "$hv" >/dev/null 2>&1; then
    ip link add "$hv" type veth peer name "$nv"
    ip link set "$nv" netns "$ns"
    ip addr add "10.213.$n.1/24" dev "$hv"
    ip netns exec "$ns" ip addr add "10.213.$n.2/24" dev "$nv"
  fi
  ip link set "$hv" up
  ip netns exec "$ns" ip link set lo up
  ip netns exec "$ns" ip link set "$nv" up
}

# Runs as the holder, inside the new mount namespace: lay the private trees over the shared paths.
holder_main() {
  local name=$1 root="$EXTRA_ROOT/$1/root" stage="$EXTRA_ROOT/$1/checkout"
  local d
  # The checkout may live under a path the private trees cover (/tmp for CI clones, /run, ...): keep a
  # handle on it first, and put it back at its own path once every tree is in place.
  mkdir -p "$stage"
  mount --bind "$CHECKOUT" "$stage"
  for d in etc/apache2 etc/nginx etc/plesk-standin etc/pp-testhost vhosts sbin tmp log/apache2 log/nginx \
    log/pp-testhost lib/nginx lib/pp-testhost state; do mkdir -p "$root/$d"; done
  chmod 1777 "$root/tmp"
  mkdir -p /var/www/vhosts /var/lib/nginx /etc/plesk-standin /etc/pp-testhost /var/lib/pp-testhost /var/log/pp-testhost
  bind() { mount --bind "$1" "$2"; }
  bind "$root/etc/apache2" /etc/apache2
  bind "$root/etc/nginx" /etc/nginx
  bind "$root/etc/plesk-standin" /etc/plesk-standin
  bind "$root/etc/pp-testhost" /etc/pp-testhost
  bind "$root/vhosts" /var/www/vhosts
  bind "$root/sbin" /usr/local/sbin
  bind "$root/log/apache2" /var/log/apache2
  bind "$root/log/nginx" /var/log/nginx
  bind "$root/log/pp-testhost" /var/log/pp-testhost
  bind "$root/lib/nginx" /var/lib/nginx
  bind "$root/lib/pp-testhost" /var/lib/pp-testhost
  bind "$root/tmp" /tmp
  mount -t tmpfs -o mode=0755 tmpfs /run
  mkdir -p /run/sshd /run/lock /run/apache2 && chmod 1777 /run/lock
  # Wherever the checkout is, it is seen at its own path again (a no-op where nothing covered it); the
  # directories this creates under a covered path live in the server's private tree.
  mkdir -p "$CHECKOUT"
  bind "$stage" "$CHECKOUT"
  # The host helper's setup reads the checkout: give it this server's domains and its own state dir.
  mkdir -p "$HOST_DIR/.state"
  bind "$root/state" "$HOST_DIR/.state"
  bind "$HOST_DIR/extra-demo-domains.json" "$HOST_DIR/demo-domains.json"
  bind "$HOST_DIR/extra-domains" "$HOST_DIR/domains"
  echo $$ >"$EXTRA_ROOT/$name/holder.pid"
  exec sleep infinity
}

start_holder() {
  local name=$1 pid
  pid=$(holder_pid "$name")
  if holder_alive "$pid"; then return; fi
  rm -f "$EXTRA_ROOT/$name/holder.pid"
  echo "$CHECKOUT" >"$EXTRA_ROOT/$name/holder.checkout"
  setsid ip netns exec "pp-$name" unshare --mount --propagation private -- \
    bash "$HOST_DIR/extra-server.sh" __holder "$name" </dev/null >>"$EXTRA_ROOT/$name/holder.log" 2>&1 &
  local i
  for i in $(seq 1 50); do
    pid=$(holder_pid "$name")
    if holder_alive "$pid"; then return; fi
    sleep 0.1
  done
  die "the namespace holder for $name did not start (see $EXTRA_ROOT/$name/holder.log)"
}

# Seeds the private trees once per server from the main test host: /etc/apache2 and /etc/nginx hold no
# domain of their own there (domains come in through the vhosts include globs), the app package cache
# spares an npm install without network inside the namespace, and the TLS pair covers *.demo.test.
seed_trees() {
  local name=$1 root="$EXTRA_ROOT/$1/root"
  [ -f /etc/apache2/conf-available/pp-testhost.conf ] || die "run test/host/setup.sh first (the main test host seeds extra servers)"
  if [ ! -f "$root/etc/apache2/apache2.conf" ]; then cp -a /etc/apache2/. "$root/etc/apache2/"; fi
  if [ ! -f "$root/etc/nginx/nginx.conf" ]; then cp -a /etc/nginx/. "$root/etc/nginx/"; fi
  # Every app-cache entry of the host (one per lock-file hash): the namespace has no network for npm.
  local cache
  mkdir -p "$root/lib/pp-testhost/app-cache"
  for cache in /var/lib/pp-testhost/app-cache/*; do
    [ -d "$cache" ] && [ ! -d "$root/lib/pp-testhost/app-cache/$(basename "$cache")" ] && cp -a "$cache" "$root/lib/pp-testhost/app-cache/"
  done
  if [ ! -f "$root/etc/pp-testhost/tls/cert.pem" ] && [ -d /etc/pp-testhost/tls ]; then cp -a /etc/pp-testhost/tls "$root/etc/pp-testhost/"; fi
}

write_sshd() {
  local name=$1 n=$2 dir="$EXTRA_ROOT/$1/ssh"
  mkdir -p "$dir" && chmod 700 "$dir"
  [ -f "$dir/host_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "pp-extra-$name-host" -f "$dir/host_ed25519"
  [ -f "$dir/client_ed25519" ] || ssh-keygen -q -t ed25519 -N '' -C "pp-extra-$name-client" -f "$dir/client_ed25519"
  cp "$dir/client_ed25519.pub" "$dir/authorized_keys"
  chmod 600 "$dir/authorized_keys"
  cat >"$dir/sshd_config" <<EOF
# TEST HOST extra server $name: only reachable through its veth.
ListenAddress 10.213.$n.2:22
HostKey $dir/host_ed25519
PidFile /run/sshd-extra.pid
PermitRootLogin prohibit-password
PasswordAuthentication no
KbdInteractiveAuthentication no
PubkeyAuthentication yes
AuthorizedKeysFile $dir/authorized_keys
StrictModes no
UsePAM no
MaxSessions 64
MaxStartups 64:30:128
AcceptEnv LANG LC_*
Subsystem sftp internal-sftp
EOF
  # Port 22 is written bare in known_hosts; keep the bracketed form too for clients that always use it.
  { echo "10.213.$n.2 $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")"; echo "[10.213.$n.2]:22 $(cut -d' ' -f1,2 "$dir/host_ed25519.pub")"; } >"$dir/known_hosts"
}

write_connection() {
  local name=$1 n=$2 dir="$EXTRA_ROOT/$1/ssh" fp
  fp=$(ssh-keygen -lf "$dir/host_ed25519.pub" -E sha256 | awk '{print $2}')
  mkdir -p "$STATE_DIR"
  cat >"$STATE_DIR/$name.json.tmp" <<EOF
{ "name": "$name", "host": "10.213.$n.2", "port": 22, "username": "root", "privateKeyPath": "$dir/client_ed25519", "knownHostsPath": "$dir/known_hosts", "hostKeyFingerprint": "$fp",
  "publicEndpoint": { "address": "127.213.$n.1", "httpPort": 8080, "httpsPort": 8443 } }
EOF
  mv "$STATE_DIR/$name.json.tmp" "$STATE_DIR/$name.json"
}

start_sshd() {
  local name=$1 pid
  pid=$(cat "$EXTRA_ROOT/$name/root/run/sshd-extra.pid" 2>/dev/null || true)
  # /run inside is a tmpfs: read the pid through the holder's view.
  pid=$(in_server "$name" cat /run/sshd-extra.pid 2>/dev/null || true)
  if alive "$pid"; then return; fi
  # An sshd of this server left from an earlier holder lives in that holder's mount namespace (its own /run,
  # other pid files) while still owning the address in the network namespace, which outlives processes:
  # stop it, or the new sshd cannot listen and SSH lands in the stale view of the server.
  local holder mnt p
  holder=$(holder_pid "$name")
  mnt=$(readlink "/proc/$holder/ns/mnt")
  for p in $(pgrep -f -- "sshd -f $EXTRA_ROOT/$name/ssh/sshd_config" || true); do
    [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$mnt" ] || kill "$p" 2>/dev/null || true
  done
  for _ in $(seq 1 30); do
    [ -z "$(pgrep -f -- "sshd -f $EXTRA_ROOT/$name/ssh/sshd_config" || true)" ] && break
    sleep 0.1
  done
  in_server "$name" /usr/sbin/sshd -f "$EXTRA_ROOT/$name/ssh/sshd_config" -E "$EXTRA_ROOT/$name/sshd.log"
}

# The host helper's setup.sh, unchanged, inside the server's namespaces: the binds above make it build
# this server's Apache, nginx, stand-in and domains instead of the main host's.
provision() {
  local name=$1
  in_server "$name" env -u PASSENGER_INSTANCE_REGISTRY_DIR bash "$HOST_DIR/setup.sh" >>"$EXTRA_ROOT/$name/provision.log" 2>&1 \
    || { tail -n 30 "$EXTRA_ROOT/$name/provision.log" >&2; die "provisioning $name failed (see $EXTRA_ROOT/$name/provision.log)"; }
}

# Starts the daemons of an already provisioned server without touching any domain file: Apache (its
# Passenger core and apps come with it), nginx, and the host helper's loopback sshd.
bring_back() {
  local name=$1
  in_server "$name" sh -c 'mkdir -p /run/apache2 /run/sshd /run/lock
    [ -s /run/apache2/apache2.pid ] && kill -0 "$(cat /run/apache2/apache2.pid)" 2>/dev/null || apache2ctl start
    [ -s /run/nginx.pid ] && kill -0 "$(cat /run/nginx.pid)" 2>/dev/null || nginx' >>"$EXTRA_ROOT/$name/provision.log" 2>&1 \
    || die "starting the daemons of $name failed (see $EXTRA_ROOT/$name/provision.log)"
  local i
  for i in $(seq 1 50); do
    in_server "$name" sh -c 'ss -ltnH "sport = :7080" | grep -q . && ss -ltnH "sport = :8080" | grep -q .' && return
    sleep 0.1
  done
  die "$name: Apache or nginx did not start listening"
}

# The web front end is reached from the host through two plain TCP hops: a loopback address on the host
# (127.213.N.1, so probes stay on loopback) to the veth address, and inside the namespace from the veth
# address (ports 80/443, as on a real server) to nginx on the namespace's own loopback (8080/8443).
start_forwarders() {
  local name=$1 n=$2 pid
  pid=$(in_server "$name" cat /run/pp-forward.pid 2>/dev/null || true)
  if ! alive "$pid"; then
    in_server "$name" setsid node "$HOST_DIR/tcp-forward.mjs" /run/pp-forward.pid \
      "10.213.$n.2:80=127.0.0.1:8080" "10.213.$n.2:443=127.0.0.1:8443" </dev/null >>"$EXTRA_ROOT/$name/forward.log" 2>&1 &
  fi
  pid=$(cat "$EXTRA_ROOT/$name/host-forward.pid" 2>/dev/null || true)
  if ! alive "$pid"; then
    rm -f "$EXTRA_ROOT/$name/host-forward.pid"
    setsid node "$HOST_DIR/tcp-forward.mjs" "$EXTRA_ROOT/$name/host-forward.pid" \
      "127.213.$n.1:8080=10.213.$n.2:80" "127.213.$n.1:8443=10.213.$n.2:443" </dev/null >>"$EXTRA_ROOT/$name/forward.log" 2>&1 &
  fi
  local i
  for i in $(seq 1 50); do
    [ -s "$EXTRA_ROOT/$name/host-forward.pid" ] && in_server "$name" test -s /run/pp-forward.pid && return
    sleep 0.1
  done
  die "the web forwarders of $name did not start (see $EXTRA_ROOT/$name/forward.log)"
}

# A holder started from another checkout binds that checkout's state and domain files: everything run
# inside would write into ours instead (connection.json included). Stop it and start over from this one.
stop_if_foreign() {
  local name=$1 pid
  pid=$(holder_pid "$name")
  holder_alive "$pid" || return 0
  [ "$(cat "$EXTRA_ROOT/$name/holder.checkout" 2>/dev/null)" = "$CHECKOUT" ] && return 0
  log "$name runs from another checkout ($(cat "$EXTRA_ROOT/$name/holder.checkout" 2>/dev/null || echo unknown)); restarting it from $CHECKOUT"
  cmd_stop "$name"
}

cmd_start() {
  local name=$1 n
  valid_name "$name"
  n=$(server_index "$name")
  stop_if_foreign "$name"
  ensure_network "$name" "$n"
  start_holder "$name"
  seed_trees "$name"
  write_sshd "$name" "$n"
  if [ -f "$EXTRA_ROOT/$name/provisioned" ]; then
    # A server coming back keeps its files as they were (a real server does not reset on boot):
    # start its daemons through the same setup, minus the step that restores demo domain files.
    bring_back "$name"
  else
    provision "$name"
    touch "$EXTRA_ROOT/$name/provisioned"
  fi
  start_sshd "$name"
  start_forwarders "$name" "$n"
  write_connection "$name" "$n"
  log "$name up: ssh root@10.213.$n.2:22 ($STATE_DIR/$name.json)"
}

# Every process of the server runs inside its network namespace; end them by pid, daemons first so they
# can clean up, then whatever is left (open SSH sessions, Passenger's core, apps), then the holder.
cmd_stop() {
  local name=$1 n pid pids
  valid_name "$name"
  [ -f "$EXTRA_ROOT/$name/index" ] || { log "$name was never started"; return; }
  n=$(cat "$EXTRA_ROOT/$name/index")
  if ip netns list | grep -qw "pp-$name"; then
    pids=$(ip netns pids "pp-$name" || true)
    for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 1 30); do
      pids=$(ip netns pids "pp-$name" || true)
      [ -z "$pids" ] && break
      sleep 0.1
    done
    for pid in $pids; do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  pid=$(cat "$EXTRA_ROOT/$name/host-forward.pid" 2>/dev/null || true)
  if alive "$pid" && grep -q tcp-forward "/proc/$pid/cmdline" 2>/dev/null; then kill -TERM "$pid"; fi
  rm -f "$EXTRA_ROOT/$name/host-forward.pid"
  # Only now take the link down: the dying sessions' FIN/RST had to reach their clients first. After this,
  # new connections hit the host's blackhole route and fail at once as unreachable.
  sleep 0.2
  ip link set "pph$n" down 2>/dev/null || true
  rm -f "$EXTRA_ROOT/$name/holder.pid"
  log "$name stopped"
}

cmd_status() {
  local name=$1 pid
  valid_name "$name"
  pid=$(holder_pid "$name")
  if ! holder_alive "$pid"; then echo "$name: stopped"; return 3; fi
  local sshd
  sshd=$(in_server "$name" cat /run/sshd-extra.pid 2>/dev/null || true)
  if alive "$sshd"; then echo "$name: running ($(cat "$STATE_DIR/$name.json" 2>/dev/null | tr -d '\n'))"; else echo "$name: namespace up, sshd down"; return 3; fi
}

# Puts the server's demo domains back (the host helper's reset.sh inside the namespaces, or setup.sh,
# which restores every demo domain's files too, when reset.sh is not there).
cmd_reset() {
  local name=$1 pid script="$HOST_DIR/reset.sh"
  valid_name "$name"
  pid=$(holder_pid "$name")
  holder_alive "$pid" || die "$name is not running: start it first"
  [ -f "$script" ] || script="$HOST_DIR/setup.sh"
  in_server "$name" bash "$script" >>"$EXTRA_ROOT/$name/provision.log" 2>&1 \
    || { tail -n 30 "$EXTRA_ROOT/$name/provision.log" >&2; die "resetting $name failed"; }
}

case "${1:-}" in
  __holder) holder_main "$2" ;;
  start) [ $# -eq 2 ] || usage; cmd_start "$2" ;;
  stop) [ $# -eq 2 ] || usage; cmd_stop "$2" ;;
  status) [ $# -eq 2 ] || usage; cmd_status "$2" ;;
  reset) [ $# -eq 2 ] || usage; cmd_reset "$2" ;;
  *) usage ;;
esac
