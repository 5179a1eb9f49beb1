import { expect } from 'chai';
import { exitCodeForState } from '../../backend/src/cli/exit-codes.js';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import type { StepEvent } from '../../backend/src/events.js';
import type { DirectiveKey } from '../../backend/src/passenger/catalog.js';
import type { ChangeResult } from '../../backend/src/jobs/change-types.js';
import { ChangeService, type ChangeServiceDeps } from '../../backend/src/jobs/change-service.js';
import { sshPorts } from '../../backend/src/jobs/ports.js';
import type { ServerInventory } from '../../backend/src/plesk/inventory.js';
import { readFiles } from '../../backend/src/ssh/files.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import type { SshSession } from '../../backend/src/ssh/session.js';
import { createStore, openDatabase, type Store } from '../../backend/src/store/index.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { readAppProcesses } from '../../backend/src/verify/app-processes.js';
import { checkHandshake, runOverlapProbe } from '../../backend/src/verify/engineio-probe.js';
import type { PublicTarget } from '../../backend/src/verify/http-client.js';
import { CRASH_STARTUP_FILE, FaultInjector } from '../support/fault-ops.js';
import { demoDomainSpecs, loadConnection, resetHost } from '../support/testhost.js';

// These tests CHANGE demo domains on the test host: run them under `flock /var/lock/pp-host.lock`.
const ENDPOINT = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };
// A shorter process watch than the product's 10 s default keeps this file under its time budget;
// the idle test below waits past the server's idle time on its own.
const VERIFY = { watchWindowMs: 3_000 };

function target(domain: string, scheme: 'http' | 'https'): PublicTarget {
  return {
    domain,
    scheme,
    address: ENDPOINT.address,
    port: scheme === 'https' ? ENDPOINT.httpsPort : ENDPOINT.httpPort,
    acceptSelfSignedOnTestHost: true,
  };
}

async function apacheReloads(session: SshSession): Promise<number> {
  // Every graceful restart of Apache logs this line once; counting it counts reloads.
  const res = await session.exec(['sh', '-c', 'grep -c "resuming normal operations" /var/log/apache2/error.log || true']);
  return Number(res.stdout.trim());
}

async function pidsOf(session: SshSession, appRoot: string): Promise<number[]> {
  return (await readAppProcesses(session, appRoot)).processes.map((p) => p.pid).sort();
}

async function hashes(session: SshSession, paths: string[]): Promise<string[]> {
  return (await readFiles(session, paths)).map((f) => (f.exists ? (f.sha256 as string) : 'absent'));
}

describe('apply: one-click Socket.IO safe on the test host (changes host state)', function () {
  this.timeout(120_000);
  let server: ServerConfig;
  let pool: SessionPool;
  let store: Store;
  let service: ChangeService;
  let deps: ChangeServiceDeps;
  let session: SshSession;
  let inventory: ServerInventory;

  const domainOf = (name: string) => inventory.domains.find((d) => d.name === name)!;

  before(async () => {
    await resetHost();
    // The demo apps' Socket.IO paths, as an admin would configure them for the server.
    server = { ...loadConnection(), socketIoPaths: Object.fromEntries(demoDomainSpecs().map((d) => [d.name, d.socketIoPath])) };
    pool = new SessionPool();
    const db = openDatabase(':memory:');
    store = createStore(db);
    deps = {
      ports: sshPorts(pool),
      journal: store.journal,
      locks: new DomainLocks(new DomainLockRows(db)),
      endpointFor: () => ENDPOINT,
      verifyDefaults: VERIFY,
    };
    service = new ChangeService(deps);
    session = await pool.get(server);
    inventory = await service.inventory(server);
  });

  after(async () => {
    pool?.closeAll();
    await resetHost();
  });

  it('(b) multi fails the probe before; the profile goes to .htaccess, causes zero reloads, keeps other pids, and the probe passes after', async () => {
    const before = await runOverlapProbe(target('multi.demo.test', 'https'), { rounds: 10 });
    expect(before.badRequests, 'the 400 must reproduce before the fix').to.be.greaterThan(0);

    const others = ['healthy.demo.test', 'custompath.demo.test', 'plainhttp.demo.test'].map(domainOf);
    const pidsBefore = await Promise.all(others.map((d) => pidsOf(session, d.appRoot)));
    const reloadsBefore = await apacheReloads(session);

    const events: StepEvent[] = [];
    const result = await service.apply(
      server,
      'multi.demo.test',
      { kind: 'profile', profile: 'socketio-safe' },
      { actor: 'test', events: (e) => events.push(e) },
    );

    expect(result.status, result.message).to.equal('verified');
    expect(result.plan!.files.map((f) => f.kind)).to.deep.equal(['htaccess']);
    expect(result.plan!.reloadNeeded).to.equal(false);
    expect(result.plan!.files[0]!.after).to.contain('PassengerStickySessions on');
    expect(result.outcome!.reloads).to.equal(0);
    expect(await apacheReloads(session)).to.equal(reloadsBefore);
    expect(await Promise.all(others.map((d) => pidsOf(session, d.appRoot)))).to.deep.equal(pidsBefore);
    expect(result.verification!.probe!.badRequests).to.equal(0);
    expect(events.map((e) => e.step)).to.include.members(['checkpoint', 'write', 'config-test', 'verify.probe', 'verify.verdict']);

    const after = await runOverlapProbe(target('multi.demo.test', 'https'), { rounds: 10 });
    expect(after.ok).to.equal(true);
    expect(after.badRequests).to.equal(0);

    const again = await service.apply(server, 'multi.demo.test', { kind: 'profile', profile: 'socketio-safe' }, { actor: 'test' });
    expect(again.status).to.equal('nothing-to-do');
    expect(again.message).to.match(/nothing to do/);
  });

  it("an admin's rollback of multi's fix restores the old .htaccess and stays, though the restored state fails the probe again", async () => {
    const htaccess = `${domainOf('multi.demo.test').documentRoot}/.htaccess`;
    const [fixed] = await hashes(session, [htaccess]);
    const result = await service.rollback(server, 'multi.demo.test', { actor: 'test' });
    expect(result.status, result.message).to.equal('applied');
    expect(exitCodeForState(result.status)).to.equal(0);
    expect(result.message).to.match(/serves but is at risk as before/);
    expect(result.verification!.probe!.badRequests, 'the restored state is the one that got 400s').to.be.greaterThan(0);
    const [restored] = await hashes(session, [htaccess]);
    expect(restored).to.not.equal(fixed);
    const text = (await readFiles(session, [htaccess]))[0]!;
    expect(text.exists && text.content).to.not.contain('PassengerStickySessions on');
    const history = service.history(server, 'multi.demo.test');
    expect(history[0]!.kind).to.equal('rollback');
    expect(
      history.some((c) => c.kind === 'auto-rollback'),
      'nothing may undo the requested rollback',
    ).to.equal(false);
  });

  it('(c) idle gets min instances 1 in vhost.conf and vhost_ssl.conf and keeps its pid after idling past 6 s', async () => {
    const result = await service.apply(server, 'idle.demo.test', { kind: 'profile', profile: 'socketio-safe' }, { actor: 'test' });
    expect(result.status, result.message).to.equal('verified');
    const kinds = result.plan!.files.map((f) => f.kind).sort();
    expect(kinds).to.include.members(['vhost', 'vhost_ssl']);
    for (const f of result.plan!.files.filter((x) => x.kind !== 'htaccess')) expect(f.after).to.contain('PassengerMinInstances 1');
    expect(result.plan!.reloadImpact!.otherApps).to.be.greaterThan(0);
    expect(result.outcome!.reloads).to.equal(1);

    const appRoot = domainOf('idle.demo.test').appRoot;
    await checkHandshake(target('idle.demo.test', 'https'), { socketIoPath: '/socket.io/' });
    const pid = await pidsOf(session, appRoot);
    expect(pid).to.have.length(1);
    await new Promise((r) => setTimeout(r, 8_500));
    expect(await pidsOf(session, appRoot)).to.deep.equal(pid);
  });

  it('plainhttp gets sticky cookie attributes without Secure, an https finding, and passes the browser-rules probe', async () => {
    const result = await service.apply(server, 'plainhttp.demo.test', { kind: 'profile', profile: 'socketio-safe' }, { actor: 'test' });
    expect(result.status, result.message).to.equal('verified');
    const vhost = result.plan!.files.find((f) => f.kind === 'vhost')!;
    expect(vhost.after).to.match(/PassengerStickySessionsCookieAttributes "?SameSite=Lax"?/);
    expect(vhost.after).to.not.match(/Secure/);
    expect(result.plan!.files.some((f) => f.kind === 'vhost_ssl')).to.equal(false);
    expect(result.plan!.findings.map((f) => f.id)).to.include('profile-recommend-https');
    expect(result.verification!.scheme).to.equal('http');
    expect(result.verification!.cookieMode).to.equal('browser');
    expect(result.verification!.probe!.badRequests).to.equal(0);
  });

  it('a change the config test rejects (fault injected through the port) is rolled back byte for byte, the config test passes, other domains serve', async () => {
    const domain = domainOf('custompath.demo.test');
    const paths = domain.files.filter((f) => f.kind !== 'vhost_nginx').map((f) => f.path);
    const hashesBefore = await hashes(session, paths);
    const fault = new FaultInjector('config-test');
    const faulty = new ChangeService({ ...deps, ports: fault.ports(deps.ports) });
    const result = await faulty.apply(
      server,
      domain.name,
      { kind: 'set', settings: [{ key: 'passenger_max_requests', value: '0' }] },
      { actor: 'test' },
    );
    expect(result.status, result.message).to.equal('rolled-back');
    expect(exitCodeForState(result.status)).to.equal(1);
    expect(
      fault.injected.some((p) => p.endsWith('/vhost.conf')),
      'the fault reached vhost.conf',
    ).to.equal(true);
    expect(result.outcome!.errorCode).to.equal('config_test_failed');
    expect(await hashes(session, paths)).to.deep.equal(hashesBefore);
    expect((await session.exec(['apache2ctl', '-t'], { allowFail: true })).code).to.equal(0);
    for (const [name, scheme] of [
      ['healthy.demo.test', 'https'],
      ['multi.demo.test', 'https'],
      ['plainhttp.demo.test', 'http'],
      [domain.name, 'https'],
    ] as const) {
      const hs = await checkHandshake(target(name, scheme), { socketIoPath: domainOf(name).socketIoPath });
      expect(hs.ok, `${name} must still serve`).to.equal(true);
    }
  });

  it('a startup file that crashes after the change fails verification, is rolled back automatically, and the journal shows every step', async () => {
    const domain = domainOf('healthy.demo.test');
    const crashFile = `${domain.appRoot}/${CRASH_STARTUP_FILE}`;
    await session.exec(['sh', '-c', 'printf "%s\\n" "throw new Error(\\"pp test crash on start\\")" > "$1"', 'sh', crashFile]);
    const fault = new FaultInjector('startup-crash');
    const faulty = new ChangeService({ ...deps, ports: fault.ports(deps.ports) });
    let result: ChangeResult;
    try {
      result = await faulty.apply(
        server,
        domain.name,
        { kind: 'set', settings: [{ key: 'passenger_max_requests', value: '0' }] },
        {
          actor: 'test',
          verifyOptions: { restartTimeoutMs: 8_000 },
        },
      );
    } finally {
      await session.exec(['rm', '-f', crashFile]);
    }
    expect(fault.injected.length, 'the fault reached the vhost files').to.be.greaterThan(0);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(exitCodeForState(result.status)).to.equal(1);
    expect(result.verification!.ok).to.equal(false);
    expect(result.rollback!.verification!.ok, 'the rolled-back state must verify').to.equal(true);

    const history = service.history(server, domain.name);
    const change = history.find((c) => c.id === result.changeId)!;
    expect(change.status).to.equal('rolled-back');
    expect(change.checkpointId).to.equal(result.checkpointId);
    const steps = change.events.map((e) => `${e.step}:${e.status}`);
    for (const s of [
      'plan:info',
      'checkpoint:ok',
      'write:ok',
      'config-test:ok',
      'verify.restart:fail',
      'verify.verdict:fail',
      'rollback:start',
      'rollback.verify:info',
      'rollback:ok',
    ]) {
      expect(steps, s).to.include(s);
    }
    // The rollback is a change of its own: checkpoint, write, config test again, after the failed verdict.
    const afterVerdict = steps.slice(steps.indexOf('verify.verdict:fail'));
    expect(afterVerdict).to.include.members(['checkpoint:ok', 'write:ok', 'config-test:ok']);
    // healthy has no vhost.conf, so Plesk must regenerate to include the new file (which reloads); else one reload.
    expect(steps.some((s) => s === 'reload:ok' || s === 'regenerate:ok')).to.equal(true);
    expect(history.some((c) => c.id === result.rollback!.changeId && c.kind === 'auto-rollback')).to.equal(true);
    const files = await readFiles(session, [`/var/www/vhosts/system/${domain.name}/conf/vhost.conf`]);
    expect(files[0]!.exists ? files[0]!.bytes.toString('utf8') : '').to.not.contain(CRASH_STARTUP_FILE);
  });

  it('refuses bad input with a clear message and writes nothing', async () => {
    const domain = domainOf('multi.demo.test');
    const paths = domain.files.map((f) => f.path);
    const before = await hashes(session, paths);
    const changesBefore = service.history(server, domain.name).length;
    const bad: Array<[DirectiveKey, string, RegExp]> = [
      ['passenger_max_instances', '2', /Enterprise/],
      ['passenger_pool_idle_time', '600', /whole server/],
      ['passenger_min_instances', 'many', /whole number/],
      ['passenger_min_instances', '-1', /out of range/],
      ['passenger_sticky_sessions_cookie_attributes', 'SameSite=Lax\nInclude /etc/shadow', /line break/],
      ['passenger_sticky_sessions_cookie_attributes', 'SameSite=Lax" </VirtualHost>', /config files treat specially/],
    ];
    for (const [key, value, message] of bad) {
      const r = await service.apply(server, domain.name, { kind: 'set', settings: [{ key, value }] }, { actor: 'test' });
      expect(r.status, `${key}=${value}`).to.equal('refused');
      expect(exitCodeForState(r.status)).to.equal(2);
      expect(r.message).to.match(message);
    }
    expect(await hashes(session, paths)).to.deep.equal(before);
    expect(service.history(server, domain.name)).to.have.length(changesBefore);
  });
});
