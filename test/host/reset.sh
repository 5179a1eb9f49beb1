#!/usr/bin/env bash
# Puts every demo domain back in its initial state, whatever a test changed:
# app files (node_modules kept), .htaccess, vhost*.conf, regenerated last_*.conf,
# one validated reload of Apache and nginx (which also gives every Passenger app
# a fresh process), then waits until each domain answers through nginx.
# Config-only fixture domains (plesk standin add-domains) are left alone.
# Takes no lock: callers that change the host already hold /var/lock/pp-host.lock.
set -Eeuo pipefail  # -E: the ERR trap also fires inside functions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'on_error $LINENO' ERR
[[ $(id -u) == 0 ]] || { echo "test/host/reset.sh must run as root" >&2; exit 1; }
RESET_STARTED=$(now_ms)

healthy() {
  local pid
  pid=$(pid_from_file "$APACHE_PID_FILE") && pid_runs "$pid" /usr/sbin/apache2 && port_open 7080 || return 1
  pid=$(pid_from_file "$NGINX_PID_FILE") && pid_runs "$pid" /usr/sbin/nginx && port_open 8080 || return 1
  pid=$(pid_from_file "$SSHD_PID_FILE") && pid_runs "$pid" /usr/sbin/sshd && port_open "$SSH_PORT" || return 1
  cmp -s "$HOST_DIR/plesk-standin.mjs" /usr/local/sbin/plesk || return 1
  [[ -d "$SYS_VAR/app-cache/$(app_lock_sha)/node_modules" ]] || return 1
}

if ! healthy; then
  echo "test host is not running as set up; running setup.sh instead of a reset"
  PP_HOST_LOCK_HELD=1 exec bash "$HOST_DIR/setup.sh"
fi

step "restore files"
load_demo_domains
for name in "${DEMO_NAMES[@]}"; do restore_domain_files "$name"; done
step "reconfigure+reload"
plesk sbin httpdmng --reconfigure-all
step "wait ready"
if ! node "$HOST_DIR/wait-ready.mjs" "$DOMAINS_JSON" 30; then
  # A daemon died under the reload (Apache has been seen aborting on a graceful restart): setup brings
  # back whatever is down and waits for every domain again.
  echo "domains did not come back after the reload; running setup.sh to restart what is down"
  PP_HOST_LOCK_HELD=1 bash "$HOST_DIR/setup.sh"
fi
finish_step
echo "test host reset in $(( $(now_ms) - RESET_STARTED )) ms"
