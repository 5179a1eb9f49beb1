#!/usr/bin/env bash
# Sets up (or repairs) the Passenger Panel test host on this Debian machine, as root:
# sshd on 127.0.0.1:2222, Apache + mod_passenger on 127.0.0.1:7080/7081 behind
# nginx on 127.0.0.1:8080/8443, five demo domains running real Socket.IO apps,
# and the `plesk` test stand-in. Idempotent; a second run only restarts what
# changed or is unhealthy. See test/host/README-host.md.
set -Eeuo pipefail  # -E: the ERR trap also fires inside functions
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
trap 'on_error $LINENO' ERR

[[ $(id -u) == 0 ]] || { echo "test/host/setup.sh must run as root" >&2; exit 1; }
SETUP_STARTED=$(now_ms)
echo "test host setup ($REPO_DIR)"

# Tests that change the host hold this lock; wait for them instead of trampling them.
step "lock"
# reset.sh sets PP_HOST_LOCK_HELD=1 when it calls us: its caller already holds the lock.
mkdir -p /var/lock
# No daemon may inherit this descriptor: see without_inherited_fds in lib.sh.
exec 9>/var/lock/pp-host.lock
if [[ "${PP_HOST_LOCK_HELD:-}" != 1 ]] && ! flock -w 900 9; then
  die "another run held /var/lock/pp-host.lock for 15 minutes; giving up"
fi

step "packages"
mkdir -p "$LOG_DIR"
PACKAGES=(openssh-server openssh-client apache2 libapache2-mod-passenger nginx php-cli chromium iproute2 openssl)
missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "  installing: ${missing[*]}"
  # Keep the packages' own services (sshd on :22, Apache and nginx on :80) from starting on all
  # interfaces: policy-rc.d exit 101 tells invoke-rc.d not to start anything during the install.
  own_policy=0
  if [[ ! -e /usr/sbin/policy-rc.d ]]; then
    printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
    chmod 755 /usr/sbin/policy-rc.d
    own_policy=1
  fi
  apt_status=0
  apt-get update -qq >"$LOG_DIR/apt.log" 2>&1 &&
    apt-get install -y -qq --no-install-recommends -o Dpkg::Options::=--force-confdef -o Dpkg::Options::=--force-confold \
    "${missing[@]}" >>"$LOG_DIR/apt.log" 2>&1 || apt_status=$?
  ((own_policy)) && rm -f /usr/sbin/policy-rc.d
  if ((apt_status)); then tail -n 30 "$LOG_DIR/apt.log" >&2; die "apt-get update/install ${missing[*]} failed"; fi
fi
command -v node >/dev/null || die "node (>= 20) is required on PATH"
node_major=$(node -p 'process.versions.node.split(".")[0]')
((node_major >= 20)) || die "node >= 20 is required, found $(node --version)"

step "system dirs"
mkdir -p "$SYS_ETC/ssh" "$SYS_ETC/tls" "$RUN_DIR" "$LOG_DIR" "$SYS_VAR/app-cache" "$STATE_DIR" /run/sshd "$SYSTEM_VHOSTS"
chmod 700 "$STATE_DIR"
chmod 755 /run/sshd
# Plesk keeps Node.js builds in /opt/plesk/node/<major>/bin; point that at Debian's node.
mkdir -p "/opt/plesk/node/$node_major/bin"
ln -sfn "$(readlink -f "$(command -v node)")" "/opt/plesk/node/$node_major/bin/node"
if [[ ! -s "$SYS_ETC/tls/cert.pem" || ! -s "$SYS_ETC/tls/key.pem" ]]; then
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=demo.test" \
    -addext "subjectAltName=DNS:demo.test,DNS:*.demo.test,DNS:*.fixture.test,IP:127.0.0.1" \
    -keyout "$SYS_ETC/tls/key.pem.new" -out "$SYS_ETC/tls/cert.pem.new" 2>/dev/null
  chmod 600 "$SYS_ETC/tls/key.pem.new"
  mv "$SYS_ETC/tls/key.pem.new" "$SYS_ETC/tls/key.pem"
  mv "$SYS_ETC/tls/cert.pem.new" "$SYS_ETC/tls/cert.pem"
fi

step "plesk stand-in"
# Copied, never linked: the host must outlive this checkout.
if ! cmp -s "$HOST_DIR/plesk-standin.mjs" /usr/local/sbin/plesk; then
  install -m 0755 "$HOST_DIR/plesk-standin.mjs" /usr/local/sbin/plesk.new
  mv /usr/local/sbin/plesk.new /usr/local/sbin/plesk
fi
rm -rf /etc/plesk-standin/.lock.stale 2>/dev/null || true
plesk standin register "$DOMAINS_JSON"

step "app packages"
sha=$(app_lock_sha)
cache_dir="$SYS_VAR/app-cache/$sha"
if [[ ! -f "$cache_dir/node_modules/.complete" ]]; then
  rm -rf "$cache_dir"
  mkdir -p "$cache_dir"
  cp "$APP_SRC/package.json" "$APP_SRC/package-lock.json" "$cache_dir/"
  (cd "$cache_dir" && npm ci --omit=dev --no-audit --no-fund --loglevel=error >"$LOG_DIR/npm.log" 2>&1)
  touch "$cache_dir/node_modules/.complete"
fi
# Old caches are small but pointless once the lock file changed.
find "$SYS_VAR/app-cache" -mindepth 1 -maxdepth 1 ! -name "$sha" -exec rm -rf {} +

step "demo domain files"
load_demo_domains
for name in "${DEMO_NAMES[@]}"; do restore_domain_files "$name"; done
plesk standin generate-all

step "apache config"
cat >/etc/apache2/ports.conf.new <<'EOF'
# Passenger Panel test host (written by test/host/setup.sh): loopback only.
Listen 127.0.0.1:7080
<IfModule ssl_module>
	Listen 127.0.0.1:7081 https
</IfModule>
EOF
mv /etc/apache2/ports.conf.new /etc/apache2/ports.conf
cat >/etc/apache2/conf-available/pp-testhost.conf.new <<'EOF'
# Passenger Panel test host (written by test/host/setup.sh): server-wide settings.
ServerName localhost
<IfModule mod_passenger.c>
	# Short on purpose: idle.demo.test (PassengerMinInstances 0) must be killed within seconds.
	PassengerPoolIdleTime 6
	PassengerMaxPoolSize 40
	# No traffic off this machine: Passenger would otherwise phone home.
	PassengerDisableSecurityUpdateCheck on
	PassengerDisableAnonymousTelemetry on
</IfModule>
# Plesk includes each domain's generated vhost file; so do we.
IncludeOptional /var/www/vhosts/system/*/conf/last_httpd.conf
EOF
mv /etc/apache2/conf-available/pp-testhost.conf.new /etc/apache2/conf-available/pp-testhost.conf
for m in ssl headers passenger; do
  [[ -e /etc/apache2/mods-enabled/$m.load ]] || a2enmod -q "$m" >/dev/null
done
[[ -e /etc/apache2/conf-enabled/pp-testhost.conf ]] || a2enconf -q pp-testhost >/dev/null
[[ -e /etc/apache2/sites-enabled/000-default.conf ]] && a2dissite -q 000-default >/dev/null
apache2ctl -t 2>"$LOG_DIR/apache-configtest.log" || { cat "$LOG_DIR/apache-configtest.log" >&2; die "apache2ctl -t failed"; }

step "nginx config"
rm -f /etc/nginx/sites-enabled/default
cat >/etc/nginx/conf.d/pp-testhost.conf.new <<EOF
# Passenger Panel test host (written by test/host/setup.sh).
map \$http_upgrade \$pp_connection_upgrade {
	default upgrade;
	''      close;
}
server_names_hash_bucket_size 128;
server_names_hash_max_size 16384;
# Unknown Host headers get 404 instead of landing on some demo domain.
server {
	listen 127.0.0.1:8080 default_server;
	server_name _;
	return 404;
}
server {
	listen 127.0.0.1:8443 ssl default_server;
	server_name _;
	ssl_certificate $SYS_ETC/tls/cert.pem;
	ssl_certificate_key $SYS_ETC/tls/key.pem;
	return 404;
}
include /var/www/vhosts/system/*/conf/last_nginx.conf;
EOF
mv /etc/nginx/conf.d/pp-testhost.conf.new /etc/nginx/conf.d/pp-testhost.conf
nginx -t -q 2>"$LOG_DIR/nginx-configtest.log" || { cat "$LOG_DIR/nginx-configtest.log" >&2; die "nginx -t failed"; }

step "sshd"
[[ -s "$SYS_ETC/ssh/ssh_host_ed25519_key" ]] || ssh-keygen -q -t ed25519 -N '' -C pp-testhost -f "$SYS_ETC/ssh/ssh_host_ed25519_key"
[[ -s "$STATE_DIR/id_ed25519" ]] || ssh-keygen -q -t ed25519 -N '' -C "pp-testhost-client" -f "$STATE_DIR/id_ed25519"
touch "$SYS_ETC/ssh/authorized_keys"
chmod 600 "$SYS_ETC/ssh/authorized_keys"
client_key=$(cut -d' ' -f1,2 "$STATE_DIR/id_ed25519.pub")
grep -qF "$client_key" "$SYS_ETC/ssh/authorized_keys" || echo "from=\"127.0.0.1,::1\" $client_key pp-testhost-client" >>"$SYS_ETC/ssh/authorized_keys"
cat >"$SYS_ETC/ssh/sshd_config.new" <<EOF
# Passenger Panel test host sshd (written by test/host/setup.sh). Root, key only, loopback.
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $SYS_ETC/ssh/ssh_host_ed25519_key
PidFile $SSHD_PID_FILE
AuthorizedKeysFile $SYS_ETC/ssh/authorized_keys
PermitRootLogin prohibit-password
PubkeyAuthentication yes
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
X11Forwarding no
PrintMotd no
MaxSessions 64
MaxStartups 64:30:128
Subsystem sftp /usr/lib/openssh/sftp-server
EOF
mv "$SYS_ETC/ssh/sshd_config.new" "$SYS_ETC/ssh/sshd_config"
/usr/sbin/sshd -t -f "$SYS_ETC/ssh/sshd_config"
sshd_hash=$(config_hash "$SYS_ETC/ssh/sshd_config" "$SYS_ETC/ssh/ssh_host_ed25519_key")
if [[ "$(cat "$RUN_DIR/sshd.confhash" 2>/dev/null)" != "$sshd_hash" ]]; then
  stop_pid "$(pid_from_file "$SSHD_PID_FILE" || true)" /usr/sbin/sshd
fi
# sshd reads authorized_keys on every login: a running one with our config needs nothing.
ensure_daemon sshd /usr/sbin/sshd "$SSHD_PID_FILE" "$SSH_PORT" \
  "/usr/sbin/sshd -f $SYS_ETC/ssh/sshd_config -E $LOG_DIR/sshd.log" ""
echo "$sshd_hash" >"$RUN_DIR/sshd.confhash"

# A running Apache/nginx is always reloaded: tests and the product reload them with other
# configs, so our records cannot tell what they run. A reload is cheap; a restart is not needed.
step "apache"
ensure_daemon apache2 /usr/sbin/apache2 "$APACHE_PID_FILE" "7080 7081" "apache2ctl start" "apache2ctl graceful"
step "nginx"
ensure_daemon nginx /usr/sbin/nginx "$NGINX_PID_FILE" "8080 8443" "nginx" "nginx -s reload"

step "demo apps ready"
if ! node "$HOST_DIR/wait-ready.mjs" "$DOMAINS_JSON" 20; then
  # Apps left broken by an earlier run (or a Passenger core that died) come back with a reload.
  echo "  not ready; reloading Apache and nginx once and retrying"
  without_inherited_fds apache2ctl graceful
  without_inherited_fds nginx -s reload
  if ! node "$HOST_DIR/wait-ready.mjs" "$DOMAINS_JSON" 30; then
    echo "  still not ready; restarting Apache and nginx"
    stop_pid "$(pid_from_file "$APACHE_PID_FILE" || true)" /usr/sbin/apache2
    stop_pid "$(pid_from_file "$NGINX_PID_FILE" || true)" /usr/sbin/nginx
    ensure_daemon apache2 /usr/sbin/apache2 "$APACHE_PID_FILE" "7080 7081" "apache2ctl start" ""
    ensure_daemon nginx /usr/sbin/nginx "$NGINX_PID_FILE" "8080 8443" "nginx" ""
    node "$HOST_DIR/wait-ready.mjs" "$DOMAINS_JSON" 40
  fi
fi

step "connection"
host_key=$(cut -d' ' -f1,2 "$SYS_ETC/ssh/ssh_host_ed25519_key.pub")
echo "[127.0.0.1]:$SSH_PORT $host_key" >"$STATE_DIR/known_hosts"
fingerprint=$(ssh-keygen -l -E sha256 -f "$SYS_ETC/ssh/ssh_host_ed25519_key.pub" | cut -d' ' -f2)
node -e '
  const [file, port, key, known, fp, domainsJson] = process.argv.slice(1);
  const fs = require("fs");
  // Apps that serve Socket.IO off the default path say so, as an admin would in the server config.
  const socketIoPaths = {};
  for (const d of JSON.parse(fs.readFileSync(domainsJson, "utf8")).domains)
    if (d.socketIoPath && d.socketIoPath !== "/socket.io/") socketIoPaths[d.name] = d.socketIoPath;
  const conn = { name: "demo", host: "127.0.0.1", port: Number(port), username: "root",
    privateKeyPath: key, knownHostsPath: known, hostKeyFingerprint: fp, socketIoPaths };
  fs.writeFileSync(file, JSON.stringify(conn, null, 2) + "\n");
' "$STATE_DIR/connection.json" "$SSH_PORT" "$STATE_DIR/id_ed25519" "$STATE_DIR/known_hosts" "$fingerprint" "$DOMAINS_JSON"
ssh -q -F /dev/null -i "$STATE_DIR/id_ed25519" -p "$SSH_PORT" \
  -o BatchMode=yes -o IdentitiesOnly=yes -o StrictHostKeyChecking=yes \
  -o UserKnownHostsFile="$STATE_DIR/known_hosts" -o ConnectTimeout=10 \
  root@127.0.0.1 plesk bin domain --list >"$STATE_DIR/domains-over-ssh.txt" </dev/null ||
  die "ssh root@127.0.0.1:$SSH_PORT with $STATE_DIR/id_ed25519 failed"
for name in $(demo_domain_names); do
  grep -qx "$name" "$STATE_DIR/domains-over-ssh.txt" || die "plesk over ssh does not list $name"
done

finish_step
echo "test host ready in $(( $(now_ms) - SETUP_STARTED )) ms"
echo "  ssh:   root@127.0.0.1:$SSH_PORT (key $STATE_DIR/id_ed25519, $fingerprint)"
echo "  http:  http://127.0.0.1:8080  https: https://127.0.0.1:8443 (self-signed); pick the domain with the Host header"
for name in $(demo_domain_names); do echo "  - $name"; done
echo "  connection: $STATE_DIR/connection.json"
