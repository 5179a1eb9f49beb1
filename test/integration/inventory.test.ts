/**
 * Inventory against the real test host, read-only: effective values with their sources, https / http
 * only, processes matched by app root, diagnosis per demo domain, the exec budget, and the CLI
 * through the real bin. Needs the test host (bash test/host/setup.sh); fails loudly without it.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { diagnoseServer } from '../../backend/src/diagnose/diagnose.js';
import type { DomainInventory, ServerInventory } from '../../backend/src/plesk/inventory.js';
import { InventoryService, readServerInventory } from '../../backend/src/plesk/inventory-service.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const HOST = join(REPO, 'test', 'host');
const run = promisify(execFile);

interface DemoSpec {
  domains: { name: string; https: boolean; socketIoPath: string; expectedProcesses: number }[];
}

function demoServer(): { server: ServerConfig; spec: DemoSpec } {
  let connection: ServerConfig;
  try {
    connection = JSON.parse(readFileSync(join(HOST, '.state', 'connection.json'), 'utf8')) as ServerConfig;
  } catch (err) {
    throw new Error(`test host connection file missing (${(err as Error).message}): run bash test/host/setup.sh first`);
  }
  const spec = JSON.parse(readFileSync(join(HOST, 'demo-domains.json'), 'utf8')) as DemoSpec;
  const socketIoPaths = Object.fromEntries(
    spec.domains.filter((d) => d.socketIoPath !== '/socket.io/').map((d) => [d.name, d.socketIoPath]),
  );
  return { server: { ...connection, socketIoPaths }, spec };
}

describe('inventory on the test host (read-only)', function () {
  this.timeout(90_000);
  const { server, spec } = demoServer();
  const pool = new SessionPool();
  let inv: ServerInventory;
  let execsForRead: number;
  let diagnosis: ReturnType<typeof diagnoseServer>;
  const domain = (name: string): DomainInventory => {
    const d = inv.domains.find((x) => x.name === name);
    if (!d) throw new Error(`${name} missing from the inventory (got ${inv.domains.map((x) => x.name).join(', ')})`);
    return d;
  };
  const verdict = (name: string) => diagnosis.domains.find((d) => d.domain === name)!;

  before(async () => {
    // Wake every demo app (and wait for its process count) so the process assertions see a steady state.
    await run('node', [join(HOST, 'wait-ready.mjs'), join(HOST, 'demo-domains.json'), '60']);
    await pool.get(server);
    const before = pool.execCount(server.name);
    inv = await readServerInventory(pool, server);
    execsForRead = pool.execCount(server.name) - before;
    diagnosis = diagnoseServer(inv);
  });
  after(() => pool.closeAll());

  it('reads the whole server in at most 3 SSH execs and finds every demo domain', () => {
    expect(execsForRead).to.be.at.most(3);
    expect(inv.read.execs).to.equal(execsForRead);
    for (const d of spec.domains) expect(inv.domains.map((x) => x.name)).to.include(d.name);
    expect(inv.passengerVersion).to.match(/^6\.0\.\d+$/);
    expect(inv.webServer).to.deep.equal({ apache: true, nginx: false });
    expect(inv.read.warnings).to.deep.equal([]);
  });

  it('reads the server-wide PassengerPoolIdleTime from the Apache config with file and line', () => {
    const idle = inv.global.find((g) => g.key === 'passenger_pool_idle_time')!;
    expect(idle.value).to.equal(6);
    expect(idle.source).to.equal('server');
    expect(idle.file).to.match(/^\/etc\/apache2\//);
    const lines = readFileSync(idle.file!, 'utf8').split('\n');
    expect(lines[idle.line! - 1]).to.match(/PassengerPoolIdleTime\s+6/);
  });

  it('gives every demo domain its app identity from the generated vhost, in Apache mode', () => {
    for (const s of spec.domains) {
      const d = domain(s.name);
      expect(d.appRoot, s.name).to.equal(`/var/www/vhosts/${s.name}/httpdocs`);
      expect(d.documentRoot, s.name).to.equal(`/var/www/vhosts/${s.name}/httpdocs/public`);
      expect(d.startupFile, s.name).to.equal('app.js');
      expect(d.mode, s.name).to.equal('apache');
      expect(d.https, s.name).to.equal(s.https);
      expect(d.httpOnly, s.name).to.equal(!s.https);
      expect(d.htaccessOverrides, s.name).to.equal(true);
      expect(d.socketIoPath, s.name).to.equal(s.socketIoPath);
      expect(d.effective.passenger_app_root!.source).to.equal('domain');
      expect(d.effective.passenger_app_root!.file).to.equal(`/var/www/vhosts/system/${s.name}/conf/last_httpd.conf`);
      expect(d.nodeVersion, s.name).to.match(/^\d+$/);
    }
  });

  it('healthy.demo.test: defaults for the tuning knobs, one process, verdict safe', () => {
    const d = domain('healthy.demo.test');
    expect(d.effective.passenger_min_instances).to.deep.equal({ value: 1, source: 'default' });
    expect(d.effective.passenger_sticky_sessions).to.deep.equal({ value: false, source: 'default' });
    expect(d.effective.passenger_max_requests).to.deep.equal({ value: 0, source: 'default' });
    expect(d.processes).to.have.length(1);
    expect(verdict('healthy.demo.test').verdict).to.equal('safe');
  });

  it('multi.demo.test: min instances 2 from vhost_ssl.conf line 2 (https) and vhost.conf (http), 2 processes, at risk without sticky sessions', () => {
    const d = domain('multi.demo.test');
    expect(d.effective.passenger_min_instances).to.include({
      value: 2,
      source: 'domain',
      file: '/var/www/vhosts/system/multi.demo.test/conf/vhost_ssl.conf',
      line: 2,
    });
    expect(d.effectiveHttp.passenger_min_instances).to.include({
      value: 2,
      source: 'domain',
      file: '/var/www/vhosts/system/multi.demo.test/conf/vhost.conf',
      line: 2,
    });
    expect(d.processes).to.have.length(2);
    const v = verdict('multi.demo.test');
    expect(v.verdict).to.equal('at-risk');
    expect(v.findings.map((f) => f.id)).to.include('several-processes-no-sticky');
  });

  it('idle.demo.test: min instances 0 from its vhost with idle cleaning on server-wide: a finding', () => {
    const d = domain('idle.demo.test');
    expect(d.effective.passenger_min_instances).to.include({ value: 0, source: 'domain', line: 2 });
    expect(d.effective.passenger_pool_idle_time).to.include({ value: 6, source: 'server' });
    const v = verdict('idle.demo.test');
    expect(v.verdict).to.equal('at-risk');
    expect(v.findings.map((f) => f.id)).to.include('min-instances-zero');
  });

  it('custompath.demo.test: a CRLF vhost.conf with unrelated directives, comments and <IfModule> is read byte for byte and sets nothing', () => {
    const d = domain('custompath.demo.test');
    const vhost = d.files.find((f) => f.kind === 'vhost')!;
    const onDisk = readFileSync('/var/www/vhosts/system/custompath.demo.test/conf/vhost.conf');
    expect(vhost.exists).to.equal(true);
    expect(vhost.content).to.equal(onDisk.toString('utf8'));
    expect(vhost.content).to.contain('\r\n');
    expect(vhost.sha256).to.equal(createHash('sha256').update(onDisk).digest('hex'));
    // The commented-out "# PassengerMinInstances 3" must not count.
    expect(d.effectiveHttp.passenger_min_instances).to.deep.equal({ value: 1, source: 'default' });
    expect(d.directives.filter((x) => x.file === vhost.path)).to.deep.equal([]);
    expect(d.socketIoPath).to.equal('/live/socket.io/');
    expect(d.files.find((f) => f.kind === 'vhost_nginx')!.content).to.contain('add_header X-Demo-Layer');
  });

  it('plainhttp.demo.test: plain http only, min instances 2 from vhost.conf, 2 processes, at risk', () => {
    const d = domain('plainhttp.demo.test');
    expect(d.https).to.equal(false);
    expect(d.httpOnly).to.equal(true);
    expect(d.effective.passenger_min_instances).to.include({
      value: 2,
      source: 'domain',
      file: '/var/www/vhosts/system/plainhttp.demo.test/conf/vhost.conf',
    });
    expect(d.files.find((f) => f.kind === 'vhost_ssl')!.exists).to.equal(false);
    expect(d.processes).to.have.length(2);
    expect(verdict('plainhttp.demo.test').verdict).to.equal('at-risk');
  });

  it('matches live processes to domains by app root (pids agree with passenger-status on the host)', async () => {
    const { stdout } = await run('passenger-status', ['--show=xml'], { encoding: 'latin1' });
    for (const d of inv.domains.filter((x) => x.processes.length > 0)) {
      for (const p of d.processes) expect(stdout).to.contain(`<pid>${p.pid}</pid>`);
    }
  });

  it('caches the last read per server with its time, and joins reads already under way', async () => {
    const service = new InventoryService(pool, { analyse: (i) => diagnoseServer(i) });
    const before = pool.execCount(server.name);
    const [a, b] = await Promise.all([service.get(server), service.get(server)]);
    expect(b).to.equal(a);
    expect(await service.get(server, 60_000)).to.equal(a);
    expect(pool.execCount(server.name) - before).to.equal(1);
    expect(service.cached(server.name)!.readAt.toISOString()).to.equal(a.inventory.readAt);
    expect(a.analysis.domains.map((d) => d.domain)).to.include('multi.demo.test');
    service.invalidate(server.name);
    expect(service.cached(server.name)).to.equal(undefined);
  });

  describe('CLI through the real bin', () => {
    const bin = join(REPO, 'bin', 'passenger-panel.mjs');

    it('inventory --json lists every demo domain with its verdict and process count', async () => {
      const { stdout } = await run('node', [bin, 'inventory', '--json'], { cwd: REPO, maxBuffer: 64 * 1024 * 1024 });
      const json = JSON.parse(stdout) as {
        servers: {
          server: string;
          read: { execs: number };
          domains: { name: string; verdict: string; processes: number; mainFinding: { id: string } | null }[];
        }[];
      };
      const demo = json.servers.find((s) => s.server === server.name) ?? json.servers[0]!;
      expect(demo.read.execs).to.be.at.most(3);
      const multi = demo.domains.find((d) => d.name === 'multi.demo.test')!;
      expect(multi).to.include({ verdict: 'at-risk', processes: 2 });
      expect(multi.mainFinding!.id).to.equal('several-processes-no-sticky');
      expect(demo.domains.find((d) => d.name === 'healthy.demo.test')).to.include({ verdict: 'safe', processes: 1 });
    });

    it('inventory prints a table no wider than 100 columns', async () => {
      const { stdout } = await run('node', [bin, 'inventory'], { cwd: REPO });
      for (const line of stdout.split('\n')) expect(line.length, line).to.be.at.most(100);
      expect(stdout).to.match(/multi\.demo\.test\s+at risk\s+2/);
    });

    it('show <domain> gives each setting with where it comes from, the processes and the fix', async () => {
      const { stdout } = await run('node', [bin, 'show', 'multi.demo.test'], { cwd: REPO });
      expect(stdout).to.match(/PassengerMinInstances\s+2\s+domain vhost_ssl\.conf:2\n\s+\(http virtual host\)\s+2\s+domain vhost\.conf:2/);
      expect(stdout).to.contain('/var/www/vhosts/system/multi.demo.test/conf/vhost_ssl.conf');
      expect(stdout).to.match(/PassengerStickySessions\s+off\s+default/);
      expect(stdout).to.match(/Processes \(2\)/);
      expect(stdout).to.match(/fix: /);
      const json = JSON.parse((await run('node', [bin, 'show', 'multi.demo.test', '--json'], { cwd: REPO })).stdout) as {
        domain: { settings: { key: string; value: unknown; source: string; line: number | null }[]; processes: unknown[] };
      };
      expect(json.domain.settings.find((s) => s.key === 'passenger_min_instances')).to.include({ value: 2, source: 'domain', line: 2 });
      expect(json.domain.processes).to.have.length(2);
    });
  });
});
