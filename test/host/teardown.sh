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

# Apache first: its TERM also ends Passenger and the demo apps.
stop_daemon apache2 /usr/sbin/apache2 "$APACHE_PID_FILE" "$RUN_DIR/apache2.pid"
stop_daemon nginx /usr/sbin/nginx "$NGINX_PID_FILE" "$RUN_DIR/nginx.pid"
stop_daemon sshd /usr/sbin/sshd "$SSHD_PID_FILE" "$RUN_DIR/sshd.pid"
rm -f "$RUN_DIR"/*.confhash
