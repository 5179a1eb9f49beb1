#!/usr/bin/env node
// ============================================================================
// TEST STAND-IN for Plesk's `plesk` command line. NOT Plesk.
//
// Plesk itself cannot be installed on the Passenger Panel test host, so
// test/host/setup.sh copies this file to /usr/local/sbin/plesk. It implements
// the few commands the product uses, printing what Plesk documents for them:
//
//   plesk bin site --list | plesk bin domain --list          one name per line
//   plesk bin domain --info <domain>  (also -i, and bin site --info)
//                                   sections of `Key:   value` lines
//   plesk sbin httpdmng --reconfigure-domain <domain> | --reconfigure-all
//                                   regenerate last_httpd.conf / last_nginx.conf
//                                   from the templates below, validate with
//                                   `apache2ctl -t` and `nginx -t` (restoring the
//                                   previous files on failure), then reload both
//   plesk repair web <domain>       same as --reconfigure-domain
//   plesk ext nodejs --versions | --get-version -domain <domain>
//
// Stand-in only fixtures (no Plesk equivalent; used by setup and benchmarks):
//   plesk standin register <domains.json>        add/refresh the demo domains
//   plesk standin generate-all                   write last_*.conf, no test/reload
//   plesk standin add-domains --count N --prefix P   config-only domains, one reload
//   plesk standin remove-domains --prefix P          remove them, one reload
//
// The domain registry lives in /etc/plesk-standin/domains.json (never in a
// source checkout, so a deleted checkout cannot break the host).
// ============================================================================
import { execFileSync, spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const STANDIN_DIR = '/etc/plesk-standin';
const REGISTRY_FILE = path.join(STANDIN_DIR, 'domains.json');
const LOCK_DIR = path.join(STANDIN_DIR, '.lock');
const VHOSTS_ROOT = '/var/www/vhosts';
const SYSTEM_ROOT = '/var/www/vhosts/system';
const TLS_CERT = '/etc/pp-testhost/tls/cert.pem';
const TLS_KEY = '/etc/pp-testhost/tls/key.pem';
const LISTEN_IP = '127.0.0.1';
const APACHE_HTTP_PORT = 7080;
const APACHE_HTTPS_PORT = 7081;
const NGINX_HTTP_PORT = 8080;
const NGINX_HTTPS_PORT = 8443;
const NODE_ROOT = '/opt/plesk/node';
const DOMAIN_NAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/;
const FIXTURE_SUFFIX = '.fixture.test';

class UsageError extends Error {}

// ---------------------------------------------------------------- registry

function loadRegistry() {
  if (!fs.existsSync(REGISTRY_FILE)) return { nextId: 1, domains: [] };
  const parsed = JSON.parse(fs.readFileSync(REGISTRY_FILE, 'utf8'));
  if (!Array.isArray(parsed.domains)) throw new Error(`${REGISTRY_FILE} is corrupt: no domains array`);
  return parsed;
}

function saveRegistry(registry) {
  fs.mkdirSync(STANDIN_DIR, { recursive: true });
  writeFileAtomic(REGISTRY_FILE, `${JSON.stringify(registry, null, 2)}\n`);
}

function findDomain(registry, name) {
  const domain = registry.domains.find((d) => d.name === String(name).toLowerCase());
  if (!domain) throw new UsageError(`Unable to find domain ${name}: the domain does not exist.`);
  return domain;
}

function newDomainRecord(registry, name, opts) {
  const record = {
    id: registry.nextId++,
    name,
    guid: randomUUID(),
    created: new Date().toISOString().slice(0, 10),
    kind: opts.kind,
    https: opts.https,
    nodejs: {
      enabled: true,
      version: opts.nodeVersion,
      appRoot: path.join(VHOSTS_ROOT, name, 'httpdocs'),
      documentRoot: path.join(VHOSTS_ROOT, name, 'httpdocs', 'public'),
      startupFile: 'app.js',
    },
  };
  return record;
}

// Serialises registry edits and reconfigurations: bulk jobs may call us in parallel.
function withLock(fn) {
  fs.mkdirSync(STANDIN_DIR, { recursive: true });
  const deadline = Date.now() + 120_000;
  for (;;) {
    try {
      fs.mkdirSync(LOCK_DIR);
      fs.writeFileSync(path.join(LOCK_DIR, 'pid'), String(process.pid));
      break;
    } catch (err) {
      if (err.code !== 'EEXIST') throw err;
      if (lockIsStale()) {
        fs.rmSync(LOCK_DIR, { recursive: true, force: true });
        continue;
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${LOCK_DIR}`);
      sleepMs(50);
    }
  }
  try {
    return fn();
  } finally {
    fs.rmSync(LOCK_DIR, { recursive: true, force: true });
  }
}

function lockIsStale() {
  let holder;
  try {
    holder = Number(fs.readFileSync(path.join(LOCK_DIR, 'pid'), 'utf8'));
  } catch {
    // The holder may be between mkdir and writing its pid; only a lock dir older than 10 s without pid is stale.
    try {
      return Date.now() - fs.statSync(LOCK_DIR).mtimeMs > 10_000;
    } catch {
      return true;
    }
  }
  if (!Number.isInteger(holder) || holder <= 0) return true;
  try {
    const cmd = fs.readFileSync(`/proc/${holder}/cmdline`, 'utf8');
    return !cmd.includes('plesk');
  } catch {
    return true;
  }
}

function sleepMs(ms) {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

// ---------------------------------------------------------------- node versions

function nodeVersions() {
  if (!fs.existsSync(NODE_ROOT)) return [];
  const versions = [];
  for (const major of fs.readdirSync(NODE_ROOT).sort()) {
    const bin = path.join(NODE_ROOT, major, 'bin', 'node');
    if (!fs.existsSync(bin)) continue;
    const version = execFileSync(bin, ['--version'], { encoding: 'utf8' }).trim().replace(/^v/, '');
    versions.push({ major, version, path: bin });
  }
  return versions;
}

function defaultNodeVersion() {
  const versions = nodeVersions();
  if (versions.length === 0) throw new Error(`no Node.js found under ${NODE_ROOT}; run test/host/setup.sh`);
  return versions[versions.length - 1].version;
}

function nodeBinaryFor(version) {
  const major = String(version).split('.')[0];
  return path.join(NODE_ROOT, major, 'bin', 'node');
}

// ---------------------------------------------------------------- templates

function confDir(name) {
  return path.join(SYSTEM_ROOT, name, 'conf');
}

function includeIfPresent(file, render) {
  return fs.existsSync(file) ? render(file) : '';
}

function apacheVhost(domain, ssl) {
  const d = domain.name;
  const port = ssl ? APACHE_HTTPS_PORT : APACHE_HTTP_PORT;
  const admin = path.join(confDir(d), ssl ? 'vhost_ssl.conf' : 'vhost.conf');
  const node = domain.nodejs;
  const lines = [
    `<VirtualHost ${LISTEN_IP}:${port}>`,
    `\tServerName "${d}"`,
    `\tServerAlias "www.${d}"`,
    `\tUseCanonicalName Off`,
    `\tDocumentRoot "${node.documentRoot}"`,
    `\tCustomLog "${path.join(SYSTEM_ROOT, d, 'logs', ssl ? 'access_ssl_log' : 'access_log')}" combined`,
    `\tErrorLog "${path.join(SYSTEM_ROOT, d, 'logs', 'error_log')}"`,
  ];
  if (ssl) {
    lines.push(`\tSSLEngine on`, `\tSSLCertificateFile "${TLS_CERT}"`, `\tSSLCertificateKeyFile "${TLS_KEY}"`);
  }
  if (node.enabled) {
    lines.push(
      `\tPassengerEnabled on`,
      `\tPassengerAppType node`,
      `\tPassengerAppRoot "${node.appRoot}"`,
      `\tPassengerStartupFile "${node.startupFile}"`,
      `\tPassengerNodejs "${nodeBinaryFor(node.version)}"`,
      `\tPassengerAppEnv "production"`,
    );
  }
  lines.push(
    `\t<Directory "${node.documentRoot}">`,
    `\t\tOptions -Indexes +FollowSymLinks`,
    `\t\tAllowOverride All`,
    `\t\tRequire all granted`,
    `\t</Directory>`,
  );
  const include = includeIfPresent(admin, (f) => `\tInclude "${f}"`);
  if (include) lines.push(include);
  lines.push(`</VirtualHost>`);
  return lines.join('\n');
}

function renderHttpd(domain) {
  const head = generatedHeader(domain);
  const parts = [head, apacheVhost(domain, false)];
  if (domain.https) parts.push(apacheVhost(domain, true));
  return `${parts.join('\n\n')}\n`;
}

function nginxServer(domain, ssl) {
  const d = domain.name;
  const admin = path.join(confDir(d), 'vhost_nginx.conf');
  const lines = ['server {'];
  if (ssl) {
    lines.push(`\tlisten ${LISTEN_IP}:${NGINX_HTTPS_PORT} ssl;`, `\tssl_certificate ${TLS_CERT};`, `\tssl_certificate_key ${TLS_KEY};`);
  } else {
    lines.push(`\tlisten ${LISTEN_IP}:${NGINX_HTTP_PORT};`);
  }
  lines.push(
    `\tserver_name "${d}";`,
    `\tserver_name "www.${d}";`,
    `\tclient_max_body_size 128m;`,
    `\taccess_log "${path.join(SYSTEM_ROOT, d, 'logs', ssl ? 'proxy_access_ssl_log' : 'proxy_access_log')}";`,
    `\terror_log "${path.join(SYSTEM_ROOT, d, 'logs', 'proxy_error_log')}";`,
    `\tlocation / {`,
    ssl ? `\t\tproxy_pass https://${LISTEN_IP}:${APACHE_HTTPS_PORT};` : `\t\tproxy_pass http://${LISTEN_IP}:${APACHE_HTTP_PORT};`,
    `\t\tproxy_http_version 1.1;`,
    `\t\tproxy_set_header Host $host;`,
    `\t\tproxy_set_header X-Real-IP $remote_addr;`,
    `\t\tproxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;`,
    `\t\tproxy_set_header X-Forwarded-Proto $scheme;`,
    `\t\tproxy_set_header Upgrade $http_upgrade;`,
    `\t\tproxy_set_header Connection $pp_connection_upgrade;`,
    // Long-polling must reach the client at once; buffering would hold Engine.IO packets.
    `\t\tproxy_buffering off;`,
    `\t\tproxy_request_buffering off;`,
    `\t\tproxy_read_timeout 120s;`,
  );
  if (ssl) lines.push(`\t\tproxy_ssl_server_name on;`, `\t\tproxy_ssl_name $host;`);
  lines.push(`\t}`);
  const include = includeIfPresent(admin, (f) => `\tinclude "${f}";`);
  if (include) lines.push(include);
  lines.push('}');
  return lines.join('\n');
}

function renderNginx(domain) {
  const parts = [generatedHeader(domain)];
  if (domain.https) parts.push(nginxServer(domain, true));
  parts.push(nginxServer(domain, false));
  return `${parts.join('\n\n')}\n`;
}

function generatedHeader(domain) {
  return [
    '#ATTENTION!',
    '#',
    '#DO NOT MODIFY THIS FILE BECAUSE IT WAS GENERATED AUTOMATICALLY,',
    '#SO ALL YOUR CHANGES WILL BE LOST THE NEXT TIME THE FILE IS GENERATED.',
    `#(generated by the plesk TEST STAND-IN for domain ${domain.name})`,
  ].join('\n');
}

// ---------------------------------------------------------------- file helpers

function writeFileAtomic(file, content) {
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, content);
  fs.renameSync(tmp, file);
}

function readOrNull(file) {
  try {
    return fs.readFileSync(file);
  } catch (err) {
    if (err.code === 'ENOENT') return null;
    throw err;
  }
}

function ensureDomainDirs(domain) {
  fs.mkdirSync(confDir(domain.name), { recursive: true });
  fs.mkdirSync(path.join(SYSTEM_ROOT, domain.name, 'logs'), { recursive: true });
  fs.mkdirSync(domain.nodejs.documentRoot, { recursive: true });
}

// Writes the generated files and returns what was there before, for restoring.
function writeGenerated(domains) {
  const previous = [];
  for (const domain of domains) {
    ensureDomainDirs(domain);
    const files = [
      [path.join(confDir(domain.name), 'last_httpd.conf'), renderHttpd(domain)],
      [path.join(confDir(domain.name), 'last_nginx.conf'), renderNginx(domain)],
    ];
    for (const [file, content] of files) {
      previous.push({ file, content: readOrNull(file) });
      writeFileAtomic(file, content);
    }
  }
  return previous;
}

function restoreGenerated(previous) {
  for (const { file, content } of previous) {
    if (content === null) fs.rmSync(file, { force: true });
    else writeFileAtomic(file, content);
  }
}

function run(cmd, args) {
  const res = spawnSync(cmd, args, { encoding: 'utf8', timeout: 60_000 });
  const output = `${res.stdout ?? ''}${res.stderr ?? ''}`.trim();
  if (res.error) return { ok: false, output: `${cmd}: ${res.error.message}` };
  return { ok: res.status === 0, output };
}

// Plesk's order: generate, test the whole web-server config, roll back on failure, reload.
function reconfigure(domains, { reload = true } = {}) {
  const previous = writeGenerated(domains);
  const checks = [
    ['apache2ctl', ['-t']],
    ['nginx', ['-t', '-q']],
  ];
  for (const [cmd, args] of checks) {
    const res = run(cmd, args);
    if (!res.ok) {
      restoreGenerated(previous);
      throw new Error(
        `Unable to reconfigure ${domains.map((d) => d.name).join(', ')}: \`${cmd} ${args.join(' ')}\` failed, ` +
          `the previous configuration was restored.\n${res.output}`,
      );
    }
  }
  if (!reload) return;
  const reloads = [
    ['apache2ctl', ['graceful']],
    ['nginx', ['-s', 'reload']],
  ];
  for (const [cmd, args] of reloads) {
    const res = run(cmd, args);
    if (!res.ok) throw new Error(`Configuration is valid but \`${cmd} ${args.join(' ')}\` failed:\n${res.output}`);
  }
  restartApacheIfGracefulKilledIt();
}

// Seen on the test host: now and then Debian's Apache 2.4 + mod_passenger aborts ("double free or
// corruption") while handling the graceful signal, leaving every site down. Start it again, as Plesk's
// own watchdog would.
function restartApacheIfGracefulKilledIt() {
  spawnSync('sleep', ['1']);
  if (apacheRuns()) return;
  const res = run('apache2ctl', ['start']);
  if (!res.ok || !apacheRuns()) throw new Error(`Apache stopped during the graceful reload and did not start again:\n${res.output}`);
}

function apacheRuns() {
  let pid;
  try {
    pid = Number(fs.readFileSync('/var/run/apache2/apache2.pid', 'utf8').trim());
  } catch {
    return false;
  }
  try {
    return pid > 0 && fs.readlinkSync(`/proc/${pid}/exe`) === '/usr/sbin/apache2';
  } catch {
    return false;
  }
}

// ---------------------------------------------------------------- output forms

function infoSections(domain) {
  const docRootSize = '0 B';
  return [
    [
      'General',
      [
        ['Domain name', domain.name],
        ['Domain ID', String(domain.id)],
        ["Owner's contact name", 'Administrator (admin)'],
        ['Domain status', 'OK'],
        ['Creation date', formatDate(domain.created)],
        ['Total size of backup files in local storage', '0 B'],
        ['Traffic', '0 B/Month'],
      ],
    ],
    [
      'Hosting',
      [
        ['Hosting type', 'Physical hosting'],
        ['IP Address', LISTEN_IP],
        ['FTP Login', `${domain.name.split('.')[0]}_ftp`],
        ['FTP Password', '************'],
        ['Disk space used by httpdocs', docRootSize],
        ['SSL/TLS support', domain.https ? 'On' : 'Off'],
        ['Permanent SEO-safe 301 redirect from HTTP to HTTPS', 'Off'],
        ['PHP support', 'No'],
        ['Python support', 'No'],
        ['Web statistics', 'None'],
      ],
    ],
    ['Logrotation info', [['--WWW-Root--', path.join(VHOSTS_ROOT, domain.name, 'httpdocs')]]],
  ];
}

function formatDate(isoDay) {
  const date = new Date(`${isoDay}T00:00:00Z`);
  return date.toLocaleDateString('en-US', { month: 'short', day: 'numeric', year: 'numeric', timeZone: 'UTC' });
}

function printInfo(domain) {
  const out = [];
  for (const [title, rows] of infoSections(domain)) {
    out.push(title, '='.repeat(29));
    for (const [key, value] of rows) out.push(`${`${key}:`.padEnd(40)}${value}`);
    out.push('');
  }
  process.stdout.write(`${out.join('\n')}\n`);
}

// ---------------------------------------------------------------- commands

function optionValue(args, name) {
  const i = args.indexOf(name);
  if (i < 0) return undefined;
  const value = args[i + 1];
  if (value === undefined || value.startsWith('-')) throw new UsageError(`Option ${name} needs a value.`);
  return value;
}

function rejectUnknown(args, allowed) {
  for (const arg of args) {
    if (arg.startsWith('-') && !allowed.includes(arg)) throw new UsageError(`Unknown option: ${arg}`);
  }
}

function cmdBinDomainOrSite(args) {
  const [command, ...rest] = args;
  switch (command) {
    case '--list':
    case '-l': {
      rejectUnknown(rest, []);
      if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`);
      process.stdout.write(
        loadRegistry()
          .domains.map((d) => `${d.name}\n`)
          .join(''),
      );
      return;
    }
    case '--info':
    case '-i': {
      rejectUnknown(rest, []);
      if (rest.length !== 1) throw new UsageError('Usage: --info <domain name>');
      printInfo(findDomain(loadRegistry(), rest[0]));
      return;
    }
    default:
      throw new UsageError(`Unknown command: ${command ?? '(none)'}. The stand-in supports --list and --info.`);
  }
}

function cmdHttpdmng(args) {
  const [command, ...rest] = args;
  if (command === '--reconfigure-domain') {
    rejectUnknown(rest, []);
    if (rest.length !== 1) throw new UsageError('Usage: httpdmng --reconfigure-domain <domain name>');
    withLock(() => reconfigure([findDomain(loadRegistry(), rest[0])]));
    return;
  }
  if (command === '--reconfigure-all') {
    rejectUnknown(rest, []);
    if (rest.length) throw new UsageError(`Unexpected argument: ${rest[0]}`);
    withLock(() => reconfigure(loadRegistry().domains));
    return;
  }
  throw new UsageError(`Unknown command: ${command ?? '(none)'}. The stand-in supports --reconfigure-domain and --reconfigure-all.`);
}

function cmdExtNodejs(args) {
  const [command, ...rest] = args;
  if (command === '--versions') {
    rejectUnknown(rest, []);
    process.stdout.write(
      nodeVersions()
        .map((v) => `${v.version}\t${v.path}\tenabled\n`)
        .join(''),
    );
    return;
  }
  if (command === '--get-version') {
    rejectUnknown(rest, ['-domain']);
    const name = optionValue(rest, '-domain');
    if (!name) throw new UsageError('Usage: ext nodejs --get-version -domain <domain name>');
    const domain = findDomain(loadRegistry(), name);
    if (!domain.nodejs.enabled) throw new UsageError(`Node.js is not enabled on the domain ${domain.name}.`);
    process.stdout.write(`${domain.nodejs.version}\n`);
    return;
  }
  throw new UsageError(`Unknown command: ${command ?? '(none)'}. The stand-in supports --versions and --get-version.`);
}

function cmdStandin(args) {
  const [command, ...rest] = args;
  switch (command) {
    case 'register':
      return standinRegister(rest);
    case 'generate-all':
      rejectUnknown(rest, []);
      return withLock(() => {
        writeGenerated(loadRegistry().domains);
      });
    case 'add-domains':
      return standinAddDomains(rest);
    case 'remove-domains':
      return standinRemoveDomains(rest);
    default:
      throw new UsageError(`Unknown standin command: ${command ?? '(none)'}`);
  }
}

function standinRegister(args) {
  if (args.length !== 1) throw new UsageError('Usage: plesk standin register <demo-domains.json>');
  const spec = JSON.parse(fs.readFileSync(args[0], 'utf8'));
  withLock(() => {
    const registry = loadRegistry();
    const version = defaultNodeVersion();
    for (const entry of spec.domains) {
      const name = String(entry.name).toLowerCase();
      if (!DOMAIN_NAME.test(name)) throw new UsageError(`Invalid domain name in ${args[0]}: ${entry.name}`);
      let record = registry.domains.find((d) => d.name === name);
      if (!record) {
        record = newDomainRecord(registry, name, { kind: 'demo', https: Boolean(entry.https), nodeVersion: version });
        registry.domains.push(record);
      }
      record.kind = 'demo';
      record.https = Boolean(entry.https);
      record.nodejs.version = version;
    }
    saveRegistry(registry);
  });
}

function standinAddDomains(args) {
  rejectUnknown(args, ['--count', '--prefix']);
  const count = Number(optionValue(args, '--count'));
  const prefix = optionValue(args, '--prefix');
  if (!Number.isInteger(count) || count < 1 || count > 5000) throw new UsageError('--count must be an integer from 1 to 5000');
  if (!prefix || !/^[a-z][a-z0-9-]{0,30}$/.test(prefix))
    throw new UsageError('--prefix must be lowercase letters, digits or -, starting with a letter');
  const width = String(count).length;
  const added = withLock(() => {
    const registry = loadRegistry();
    const version = defaultNodeVersion();
    const fresh = [];
    for (let i = 1; i <= count; i++) {
      const name = `${prefix}${String(i).padStart(width, '0')}${FIXTURE_SUFFIX}`;
      if (registry.domains.some((d) => d.name === name)) continue;
      const record = newDomainRecord(registry, name, { kind: 'fixture', https: i % 2 === 1, nodeVersion: version });
      registry.domains.push(record);
      fresh.push(record);
      writeFixtureFiles(record, i);
    }
    saveRegistry(registry);
    try {
      reconfigure(fresh);
    } catch (err) {
      removeRecords(registry, fresh);
      throw err;
    }
    return fresh;
  });
  process.stdout.write(`Added ${added.length} config-only domains with prefix ${prefix} (suffix ${FIXTURE_SUFFIX}).\n`);
}

function writeFixtureFiles(record, i) {
  ensureDomainDirs(record);
  fs.writeFileSync(path.join(record.nodejs.documentRoot, '.htaccess'), `# .htaccess of ${record.name}\n`);
  // Vary the admin files so readers meet every shape: none, http only, both, plus nginx.
  const conf = confDir(record.name);
  if (i % 3 !== 0)
    fs.writeFileSync(path.join(conf, 'vhost.conf'), `# admin directives (HTTP) for ${record.name}\nPassengerMinInstances 1\n`);
  if (record.https && i % 3 === 1)
    fs.writeFileSync(path.join(conf, 'vhost_ssl.conf'), `# admin directives (HTTPS) for ${record.name}\nPassengerMinInstances 1\n`);
  if (i % 4 === 0)
    fs.writeFileSync(path.join(conf, 'vhost_nginx.conf'), `# admin directives (nginx) for ${record.name}\nclient_body_timeout 30s;\n`);
}

function removeRecords(registry, records) {
  const names = new Set(records.map((r) => r.name));
  registry.domains = registry.domains.filter((d) => !names.has(d.name));
  saveRegistry(registry);
  for (const name of names) {
    fs.rmSync(path.join(VHOSTS_ROOT, name), { recursive: true, force: true });
    fs.rmSync(path.join(SYSTEM_ROOT, name), { recursive: true, force: true });
  }
}

function standinRemoveDomains(args) {
  rejectUnknown(args, ['--prefix']);
  const prefix = optionValue(args, '--prefix');
  if (!prefix || !/^[a-z][a-z0-9-]{0,30}$/.test(prefix)) throw new UsageError('--prefix is required (as given to add-domains)');
  const pattern = new RegExp(`^${prefix}\\d+${FIXTURE_SUFFIX.replace(/\./g, '\\.')}$`);
  const removed = withLock(() => {
    const registry = loadRegistry();
    const doomed = registry.domains.filter((d) => d.kind === 'fixture' && pattern.test(d.name));
    if (doomed.length === 0) return 0;
    removeRecords(registry, doomed);
    reconfigure([]);
    return doomed.length;
  });
  process.stdout.write(`Removed ${removed} config-only domains with prefix ${prefix}.\n`);
}

function main(argv) {
  const [area, tool, ...rest] = argv;
  if (area === 'bin' && (tool === 'domain' || tool === 'site')) return cmdBinDomainOrSite(rest);
  if (area === 'sbin' && tool === 'httpdmng') return cmdHttpdmng(rest);
  if (area === 'repair' && tool === 'web') {
    if (rest.length !== 1) throw new UsageError('Usage: plesk repair web <domain name>');
    return cmdHttpdmng(['--reconfigure-domain', rest[0]]);
  }
  if (area === 'ext' && tool === 'nodejs') return cmdExtNodejs(rest);
  if (area === 'standin') return cmdStandin(argv.slice(1));
  throw new UsageError(`${`Unknown command: plesk ${argv.join(' ')}`.trim()} (this is the test stand-in for Plesk's CLI)`);
}

// A reload may start Apache when it is down; the daemon must not inherit the
// caller's descriptors (a test's `flock` on /var/lock/pp-host.lock would then be
// held for as long as Apache runs). Node's own descriptors are close-on-exec.
function closeInheritedDescriptors() {
  let fds;
  try {
    fds = fs.readdirSync('/proc/self/fdinfo');
  } catch {
    return;
  }
  for (const name of fds) {
    const fd = Number(name);
    if (!(fd > 2)) continue;
    try {
      const flags = /flags:\s*([0-7]+)/.exec(fs.readFileSync(`/proc/self/fdinfo/${fd}`, 'utf8'))?.[1];
      if (flags && (parseInt(flags, 8) & 0o2000000) === 0) fs.closeSync(fd);
    } catch {
      // gone already or not ours to inspect
    }
  }
}

// `plesk bin domain --list | head -1` closes the pipe early; that is not an error.
process.stdout.on('error', (err) => {
  if (err.code === 'EPIPE') process.exit(0);
  throw err;
});

try {
  closeInheritedDescriptors();
  main(process.argv.slice(2));
} catch (err) {
  process.stderr.write(`${err instanceof UsageError ? '' : 'Error: '}${err.message}\n`);
  process.exit(1);
}
