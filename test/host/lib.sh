# Shared helpers for test/host/{setup,reset,teardown}.sh. Sourced, not run.
# Everything the daemons read lives in system paths (copied from the checkout),
# so a deleted or different checkout never breaks the running host.

HOST_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO_DIR="$(cd "$HOST_DIR/../.." && pwd)"
STATE_DIR="$HOST_DIR/.state"                 # per checkout: client key, connection.json
SYS_ETC=/etc/pp-testhost                     # host config: sshd, tls, authorized_keys
SYS_VAR=/var/lib/pp-testhost                 # host state: pids, config hashes, app cache
RUN_DIR=$SYS_VAR/run
LOG_DIR=/var/log/pp-testhost
VHOSTS=/var/www/vhosts
SYSTEM_VHOSTS=/var/www/vhosts/system
DOMAINS_JSON="$HOST_DIR/demo-domains.json"
APP_SRC="$HOST_DIR/apps/socketio-demo"
SSH_PORT=2222
APACHE_PID_FILE=/var/run/apache2/apache2.pid
NGINX_PID_FILE=/run/nginx.pid
SSHD_PID_FILE=$RUN_DIR/sshd.pid
export PATH="/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin${PATH:+:$PATH}"
export LANG=C.UTF-8 LC_ALL=C.UTF-8
export DEBIAN_FRONTEND=noninteractive

CURRENT_STEP="(start)"
STEP_STARTED=0

now_ms() { local t=${EPOCHREALTIME/./}; echo $(( t / 1000 )); }

step() {
  finish_step
  CURRENT_STEP="$1"
  STEP_STARTED=$(now_ms)
}

finish_step() {
  if [[ "$STEP_STARTED" != 0 ]]; then
    printf '  %-22s %6d ms\n' "$CURRENT_STEP" $(( $(now_ms) - STEP_STARTED ))
  fi
  STEP_STARTED=0
}

log_tail() {
  local file=$1
  [[ -f "$file" ]] || return 0
  echo "----- tail of $file -----" >&2
  tail -n 25 "$file" >&2 || true
}

on_error() {
  local status=$? line=$1
  # In a subshell ($(...)) just pass the status on: the parent reports if it matters.
  [[ "$BASHPID" == "$$" ]] || exit "$status"
  echo "" >&2
  echo "FAILED in step '$CURRENT_STEP' (line $line of ${BASH_SOURCE[1]:-?}, exit $status)" >&2
  log_tail /var/log/apache2/error.log
  log_tail /var/log/nginx/error.log
  log_tail "$LOG_DIR/sshd.log"
  log_tail "$LOG_DIR/npm.log"
  log_tail "$LOG_DIR/apt.log"
  exit "$status"
}

die() { echo "ERROR: $*" >&2; return 1; }

# A pid file is only trusted when the pid runs the expected binary.
pid_runs() {
  local pid=$1 exe=$2 actual
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  actual=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ "${actual% (deleted)}" == "$exe" ]]
}

pid_from_file() {
  local file=$1 pid
  [[ -f "$file" ]] || return 1
  pid=$(tr -dc '0-9' <"$file" | head -c 10)
  [[ -n "$pid" ]] || return 1
  echo "$pid"
}

# Listening sockets that would clash with ours on 127.0.0.1:<port> (ours, or a wildcard bind).
# Other loopback addresses are someone else's (extra servers forward 127.213.N.1:8080).
our_listeners() {
  local port=$1
  ss -ltnpH "sport = :$port" 2>/dev/null |
    awk -v p="$port" '$4 == "127.0.0.1:" p || $4 == "0.0.0.0:" p || $4 == "*:" p || $4 == "[::]:" p'
}

# Prints the pids listening on 127.0.0.1:<port>, if any.
listener_pids() { our_listeners "$1" | grep -o 'pid=[0-9]*' | cut -d= -f2 | sort -u || true; }

port_open() { our_listeners "$1" | grep -q .; }

# Stops a pid only after checking it runs the expected binary; waits for it to go.
stop_pid() {
  local pid=$1 exe=$2 sig=${3:-TERM} i
  [[ -n "$pid" ]] || return 0
  pid_runs "$pid" "$exe" || return 0
  kill "-$sig" "$pid" 2>/dev/null || true
  for i in $(seq 1 100); do
    pid_runs "$pid" "$exe" || return 0
    sleep 0.1
  done
  kill -KILL "$pid" 2>/dev/null || true
  sleep 0.2
}

config_hash() {
  # Hashes every file a daemon reads, so a change from any checkout is noticed.
  local f
  for f in "$@"; do [[ -e "$f" ]] && echo "$f"; done |
    xargs -r -I{} find -L {} -type f -print0 2>/dev/null |
    sort -z | xargs -0 -r sha256sum | sha256sum | cut -d' ' -f1
}

# Reads demo-domains.json once (node is a dependency anyway; jq is not).
declare -A DEMO_SOCKET_PATH=()
DEMO_NAMES=()
load_demo_domains() {
  local name socket_path
  DEMO_NAMES=()
  while read -r name socket_path; do
    DEMO_NAMES+=("$name")
    DEMO_SOCKET_PATH[$name]=$socket_path
  done < <(node -e 'for (const d of JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")).domains) console.log(d.name, d.socketIoPath)' "$DOMAINS_JSON")
  ((${#DEMO_NAMES[@]})) || die "no demo domains in $DOMAINS_JSON"
}

demo_domain_names() {
  ((${#DEMO_NAMES[@]})) || load_demo_domains
  printf '%s\n' "${DEMO_NAMES[@]}"
}

app_lock_sha() { sha256sum "$APP_SRC/package-lock.json" | cut -c1-16; }

# Puts one demo domain's files back to their initial state. node_modules is kept
# when it matches the app's lock file (copied from the shared cache otherwise).
restore_domain_files() {
  local name=$1 docs="$VHOSTS/$1/httpdocs" conf="$SYSTEM_VHOSTS/$1/conf" fixture="$HOST_DIR/domains/$1"
  local sha cache
  sha=$(app_lock_sha)
  cache="$SYS_VAR/app-cache/$sha/node_modules"
  mkdir -p "$docs" "$conf" "$SYSTEM_VHOSTS/$name/logs"
  find "$docs" -mindepth 1 -maxdepth 1 ! -name node_modules -exec rm -rf {} +
  cp "$APP_SRC/app.js" "$APP_SRC/package.json" "$APP_SRC/package-lock.json" "$docs/"
  ((${#DEMO_NAMES[@]})) || load_demo_domains
  printf '%s\n' "${DEMO_SOCKET_PATH[$name]}" >"$docs/socketio-path"
  mkdir -p "$docs/public"
  cp "$fixture/htaccess" "$docs/public/.htaccess"
  if [[ "$(cat "$docs/node_modules/.pp-lock-sha" 2>/dev/null)" != "$sha" ]]; then
    [[ -d "$cache" ]] || die "app cache $cache is missing: run test/host/setup.sh"
    rm -rf "$docs/node_modules"
    cp -a "$cache" "$docs/node_modules"
    echo "$sha" >"$docs/node_modules/.pp-lock-sha"
  fi
  find "$conf" -mindepth 1 -delete
  local f
  for f in vhost.conf vhost_ssl.conf vhost_nginx.conf; do
    [[ -f "$fixture/$f" ]] && cp "$fixture/$f" "$conf/$f"
  done
  give_to_subscription "$name"
}

# Plesk's ownership (a stand-in for what Plesk does when it creates a subscription): each domain has its
# own system user (primary group psacln), who owns /var/www/vhosts/<d>/ (user:psaserv 755), httpdocs
# (user:psaserv 750) and everything in it (user:psacln); the web server reads through the psaserv group;
# /var/www/vhosts/system/<d>/ stays root's. Passenger then runs the app as that user (the startup file's
# owner), as on a real Plesk server.
subscription_user() { local label=${1%%.*}; printf 'pp_%s\n' "${label//[^a-z0-9]/_}"; }

ensure_subscription_groups() {
  getent group psacln >/dev/null || groupadd --system psacln
  getent group psaserv >/dev/null || groupadd --system psaserv
  id -nG www-data 2>/dev/null | grep -qw psaserv || usermod -a -G psaserv www-data
}

give_to_subscription() {
  local name=$1 user
  user=$(subscription_user "$name")
  ensure_subscription_groups
  id -u "$user" >/dev/null 2>&1 ||
    useradd --system --gid psacln --home-dir "$VHOSTS/$name" --no-create-home --shell /usr/sbin/nologin "$user"
  chown -R "$user:psacln" "$VHOSTS/$name/httpdocs"
  chown "$user:psaserv" "$VHOSTS/$name" "$VHOSTS/$name/httpdocs"
  chmod -R u+rwX,go+rX,go-w "$VHOSTS/$name/httpdocs"
  chmod 755 "$VHOSTS/$name"
  chmod 750 "$VHOSTS/$name/httpdocs"
  chown -R root:root "$SYSTEM_VHOSTS/$name"
  chmod -R go-w "$SYSTEM_VHOSTS/$name"
}

# Runs a command with every descriptor above 2 closed. Daemons started (or re-exec'd) from here must
# not inherit one: `flock /var/lock/pp-host.lock cmd` hands its locked descriptor to cmd's children,
# and a daemon holding it would keep the lock taken for as long as it runs.
without_inherited_fds() {
  (
    for fd in /proc/$BASHPID/fd/*; do
      fd=${fd##*/}
      ((fd > 2)) && eval "exec $fd>&-" 2>/dev/null
    done
    exec "$@"
  )
}

# ensure_daemon LABEL EXE PIDFILE "PORT..." START_CMD RELOAD_CMD
# Reloads the daemon when its pid file names a live EXE that listens on the first port (a RELOAD_CMD
# of "" leaves it alone); otherwise clears the stale pid file, stops copies of EXE left on its ports
# (anything else there is a conflict we report, never kill) and starts it. fd 9 (setup's lock) is
# closed for the daemon (see without_inherited_fds).
ensure_daemon() {
  local label=$1 exe=$2 pid_file=$3 ports=$4 start=$5 reload=$6
  local main_port=${4%% *} pid port other
  pid=$(pid_from_file "$pid_file" || true)
  if [[ -n "$pid" ]] && pid_runs "$pid" "$exe" && port_open "$main_port"; then
    if [[ -n "$reload" ]]; then
      without_inherited_fds $reload 2>>"$LOG_DIR/reload.log" || { log_tail "$LOG_DIR/reload.log"; die "$reload failed"; }
      echo "  $label reloaded (pid $pid)"
    else
      echo "  $label running (pid $pid)"
    fi
  else
    [[ -n "$pid" ]] && stop_pid "$pid" "$exe"
    for port in $ports; do
      for other in $(listener_pids "$port"); do
        pid_runs "$other" "$exe" || die "port $port is taken by pid $other ($(readlink "/proc/$other/exe" 2>/dev/null)), not $exe"
        stop_pid "$other" "$exe"
      done
    done
    rm -f "$pid_file"
    without_inherited_fds $start
    for _ in $(seq 1 100); do port_open "$main_port" && [[ -s "$pid_file" ]] && break; sleep 0.1; done
    port_open "$main_port" || die "$label did not start listening on port $main_port"
    pid=$(pid_from_file "$pid_file") || die "$label started but wrote no pid file $pid_file"
    echo "  $label started (pid $pid)"
  fi
  record_pid "$label" "$pid"
}

record_pid() {
  # Keeps a copy of each daemon's pid in the host state dir (teardown reads it).
  local name=$1 pid=$2
  mkdir -p "$RUN_DIR"
  echo "$pid" >"$RUN_DIR/$name.pid"
}
