#!/usr/bin/env bash
# Stops what setup.sh started (sshd, Apache with its Passenger apps, nginx), by
# pid, after checking each pid really runs that daemon. Leaves files in place,
# so setup.sh brings everything back quickly.
set -Eeuo pipefail  # -E: the ERR trap also fires inside functions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'on_error $LINENO' ERR
[[ $(id -u) == 0 ]] || { echo "test/host/teardown.sh must run as root" >&2; exit 1; }

stop_daemon() {
  local label=$1 exe=$2 pid
  shift 2
  local stopped=0
  for file in "$@"; do
    pid=$(pid_from_file "$file") || continue
    if pid_runs "$pid" "$exe"; then
      stop_pid "$pid" "$exe"
      echo "stopped $label (pid $pid)"
      stopped=1
    fi
  done
  ((stopped)) || echo "$label was not running"
  rm -f "$RUN_DIR/$label.pid"
}

# Field 22 of /proc/<pid>/stat; the command name before it may contain spaces ("Passenger core").
start_time() { sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f20; }

descendants() {
  local pid=$1 child
  for child in $(cat /proc/"$pid"/task/*/children 2>/dev/null); do
    echo "$child"
    descendants "$child"
  done
}

# Passenger's watchdog, core and the apps are Apache's descendants; they finish shutting down
# after Apache has gone. Remember them first, then wait for them (and end stragglers).
passenger_tree=()
apache_pid=$(pid_from_file "$APACHE_PID_FILE" || true)
if [[ -n "$apache_pid" ]] && pid_runs "$apache_pid" /usr/sbin/apache2; then
  while read -r pid; do
    [[ -n "$pid" ]] && grep -qa -e Passenger -e node-loader "/proc/$pid/cmdline" 2>/dev/null && passenger_tree+=("$pid:$(start_time "$pid")")
  done < <(descendants "$apache_pid")
fi

# Apache first: its TERM also ends Passenger and the demo apps.
stop_daemon apache2 /usr/sbin/apache2 "$APACHE_PID_FILE" "$RUN_DIR/apache2.pid"
# A pid counts as the same process only with the same start time (pids get reused).
still_there() { local entry=$1; [[ "$(start_time "${entry%%:*}")" == "${entry#*:}" ]]; }
for _ in $(seq 1 100); do
  left=()
  for entry in "${passenger_tree[@]}"; do still_there "$entry" && left+=("$entry"); done
  ((${#left[@]})) || break
  sleep 0.1
done
for entry in "${left[@]}"; do
  still_there "$entry" && kill -KILL "${entry%%:*}" 2>/dev/null && echo "killed leftover Passenger process ${entry%%:*}"
done
stop_daemon nginx /usr/sbin/nginx "$NGINX_PID_FILE" "$RUN_DIR/nginx.pid"
stop_daemon sshd /usr/sbin/sshd "$SSHD_PID_FILE" "$RUN_DIR/sshd.pid"
rm -f "$RUN_DIR"/*.confhash
