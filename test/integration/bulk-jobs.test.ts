import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { BulkRunner } from '../../backend/src/jobs/bulk-runner.js';
import type { BulkPlan, BulkSummary } from '../../backend/src/jobs/bulk-model.js';
import { JobEventBus, type JobEvent } from '../../backend/src/jobs/event-bus.js';
import { readFiles } from '../../backend/src/ssh/files.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import type { SshSession } from '../../backend/src/ssh/session.js';
import { createStore, openDatabase, type Store } from '../../backend/src/store/index.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { runOverlapProbe } from '../../backend/src/verify/engineio-probe.js';
import type { PublicEndpoint } from '../../backend/src/verify/verifier.js';
import { CRASH_STARTUP_FILE, FaultInjector } from '../support/fault-ops.js';
import { sshPorts } from '../../backend/src/jobs/ports.js';
import { CONNECTION_FILE, resetHost } from '../support/testhost.js';
import { type ExtraServer, resetExtraServer, startExtraServer, stopExtraServer } from '../support/extra-servers.js';

// These tests CHANGE demo domains on the test host and on the extra server "b":
// run them under `flock /var/lock/pp-host.lock`.
const DEMO_ENDPOINT: PublicEndpoint = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };
// A short process watch keeps the file within its budget; the product default (10 s) is for real use.
const VERIFY = { watchWindowMs: 1_500 };
// Which extra server the file uses (PP_TEST_EXTRA_SERVER lets a bench keep "b" busy meanwhile).
const EXTRA = process.env.PP_TEST_EXTRA_SERVER ?? 'b';

interface Harness {
  store: Store;
  pool: SessionPool;
  runner: BulkRunner;
  bus: JobEventBus;
  servers: ServerConfig[];
}

function harness(servers: ServerConfig[], endpoints: Map<string, PublicEndpoint>, verify: object = VERIFY, fault?: FaultInjector): Harness {
  const store = createStore(openDatabase(':memory:'));
  const pool = new SessionPool({ connectTimeoutMs: 3_000 });
  const bus = new JobEventBus();
  const runner = new BulkRunner({
    ports: fault ? fault.ports(sshPorts(pool)) : sshPorts(pool),
    jobs: store.jobs,
    journal: store.journal,
    bus,
    locks: new DomainLocks(new DomainLockRows(store.db)),
    servers: {
      list: () => servers,
      get: (n) =>
        servers.find((s) => s.name === n) ??
        (() => {
          throw new Error(`no server ${n}`);
        })(),
    },
    endpointFor: (s) => endpoints.get(s.name) as PublicEndpoint,
    verifyDefaults: verify,
  });
  return { store, pool, runner, bus, servers };
}

async function hashes(session: SshSession, paths: string[]): Promise<string[]> {
  return (await readFiles(session, paths)).map((f) => (f.exists ? (f.sha256 as string) : 'absent'));
}

async function apacheReloads(session: SshSession): Promise<number> {
  const res = await session.exec(['sh', '-c', 'grep -c "resuming normal operations" /var/log/apache2/error.log || true']);
  return Number(res.stdout.trim());
}

function statesOf(store: Store, jobId: string): Record<string, string> {
  return Object.fromEntries(store.jobs.domainStates(jobId).map((s) => [`${s.server}:${s.domain}`, s.state]));
}

describe('bulk jobs across two real servers (changes host state)', function () {
  this.timeout(300_000);
  let demo: ServerConfig;
  let extra: ExtraServer;
  let endpoints: Map<string, PublicEndpoint>;

  before(async () => {
    extra = await startExtraServer(EXTRA);
    await Promise.all([resetHost(), resetExtraServer(EXTRA)]);
    demo = JSON.parse(readFileSync(CONNECTION_FILE, 'utf8')) as ServerConfig;
    endpoints = new Map([
      [demo.name, DEMO_ENDPOINT],
      [EXTRA, extra.endpoint],
    ]);
  });

  after(async () => {
    await startExtraServer(EXTRA);
    await Promise.all([resetHost(), resetExtraServer(EXTRA)]);
  });

  it('applies the profile to every at-risk domain on both servers with one config test and at most one reload each', async () => {
    const h = harness([demo, extra.config], endpoints);
    const seen: JobEvent[] = [];
    h.bus.subscribeAll((e) => seen.push(e));
    try {
      const demoSession = await h.pool.get(demo);
      const extraSession = await h.pool.get(extra.config);
      const reloadsBefore = [await apacheReloads(demoSession), await apacheReloads(extraSession)];
      const job = await h.runner.start(
        { profile: 'socketio-safe', selection: { kind: 'filter', filter: 'at-risk' }, verifyConcurrency: 4 },
        'test',
      );
      const summary = job.summary as BulkSummary;
      const states = statesOf(h.store, job.id);
      expect(job.status, JSON.stringify(states)).to.equal('succeeded');
      // Both servers took part, each with its at-risk domains.
      expect(states[`${EXTRA}:shop-x.demo.test`]).to.equal('verified');
      expect(states[`${EXTRA}:chat-x.demo.test`]).to.equal('verified');
      expect(states['demo:multi.demo.test']).to.equal('verified');
      expect(states[`${EXTRA}:calm-x.demo.test`], 'a safe domain is not selected').to.equal(undefined);
      for (const c of summary.servers) {
        expect(c.configTests, c.server).to.equal(1);
        expect(c.reloads, c.server).to.be.at.most(1);
      }
      // The server's own log agrees: at most one graceful reload per server during the whole job.
      expect((await apacheReloads(demoSession)) - (reloadsBefore[0] as number)).to.be.at.most(1);
      expect((await apacheReloads(extraSession)) - (reloadsBefore[1] as number)).to.be.at.most(1);
      // And the fix holds for a browser after the job: no 400 through the public path.
      const probe = await runOverlapProbe(
        {
          domain: 'shop-x.demo.test',
          scheme: 'https',
          address: extra.endpoint.address,
          port: extra.endpoint.httpsPort,
          acceptSelfSignedOnTestHost: true,
        },
        { socketIoPath: '/socket.io/', rounds: 10, cookieMode: 'browser' },
      );
      expect(probe.badRequests, JSON.stringify(probe.problems)).to.equal(0);
      expect(probe.ok).to.equal(true);
      // Durable: the plan, every domain's state and the events are in the store; the bus saw the same.
      const stored = h.store.jobs.get(job.id)!;
      expect((stored.plan as BulkPlan).servers.map((s) => s.server).sort()).to.deep.equal([EXTRA, 'demo'].sort());
      const journaled = h.store.journal.events({ jobId: job.id });
      expect(journaled.length).to.equal(seen.filter((e) => e.jobId === job.id).length);
      expect(journaled.some((e) => e.step === 'config-test' && e.status === 'ok' && e.server === EXTRA)).to.equal(true);
      const changes = h.store.journal.listChanges({ jobId: job.id });
      expect(changes.length).to.equal(Object.values(states).filter((s) => s === 'verified').length);
      expect(changes.every((c) => c.checkpointId)).to.equal(true);
    } finally {
      h.pool.closeAll();
    }
  });

  it('with a canary, proves the first domain of a server alone before writing the rest', async () => {
    await resetExtraServer(EXTRA);
    const h = harness([demo, extra.config], endpoints);
    try {
      const order: string[] = [];
      h.bus.subscribeAll((e) => {
        if (e.step === 'domain' && ['written', 'verified'].includes((e.data as { state?: string }).state ?? ''))
          order.push(`${e.domain}:${(e.data as { state: string }).state}`);
      });
      const job = await h.runner.start(
        {
          profile: 'socketio-safe',
          selection: { kind: 'list', domains: [`${EXTRA}:shop-x.demo.test`, `${EXTRA}:chat-x.demo.test`] },
          servers: [EXTRA],
          canary: true,
        },
        'test',
      );
      expect(job.status).to.equal('succeeded');
      const c = (job.summary as BulkSummary).servers[0]!;
      expect(c.batches).to.equal(2);
      // shop-x's change is .htaccess-only (the config test never reads .htaccess): only chat-x's batch is tested.
      expect(c.configTests).to.equal(1);
      // The canary was written and verified before the second domain was written.
      const canary = order[0]!.split(':')[0]!;
      expect(order.slice(0, 2)).to.deep.equal([`${canary}:written`, `${canary}:verified`]);
    } finally {
      h.pool.closeAll();
    }
  });

  it('keeps going when a server becomes unreachable mid-job: its domains end failed, the other server completes, and the job rolls back once it is back', async () => {
    await Promise.all([resetHost(), resetExtraServer(EXTRA)]);
    const h = harness([demo, extra.config], endpoints);
    try {
      const demoSession = await h.pool.get(demo);
      const extraSession = await h.pool.get(extra.config);
      const extraFiles = ['shop-x.demo.test', 'chat-x.demo.test'].flatMap((d) => [
        `/var/www/vhosts/system/${d}/conf/vhost.conf`,
        `/var/www/vhosts/system/${d}/conf/vhost_ssl.conf`,
        `/var/www/vhosts/${d}/httpdocs/public/.htaccess`,
      ]);
      const demoFiles = ['multi.demo.test', 'plainhttp.demo.test', 'idle.demo.test'].flatMap((d) => [
        `/var/www/vhosts/system/${d}/conf/vhost.conf`,
        `/var/www/vhosts/system/${d}/conf/vhost_ssl.conf`,
        `/var/www/vhosts/${d}/httpdocs/public/.htaccess`,
      ]);
      const before = { extra: await hashes(extraSession, extraFiles), demo: await hashes(demoSession, demoFiles) };
      // Pull the plug on "b" as soon as its first domain is being verified (its files are written by then).
      let stopping: Promise<void> | undefined;
      h.bus.subscribeAll((e) => {
        if (!stopping && e.server === EXTRA && e.step === 'domain' && (e.data as { state?: string }).state === 'verifying')
          stopping = stopExtraServer(EXTRA);
      });
      const job = await h.runner.start(
        { profile: 'socketio-safe', selection: { kind: 'filter', filter: 'at-risk' }, verifyConcurrency: 3 },
        'test',
      );
      expect(stopping, 'the server was stopped mid-job').to.not.equal(undefined);
      await stopping;
      const states = statesOf(h.store, job.id);
      expect(job.status, JSON.stringify(states)).to.equal('partial');
      for (const [k, st] of Object.entries(states)) {
        if (k.startsWith(`${EXTRA}:`)) expect(['failed', 'rolled-back', 'cancelled'], k).to.include(st);
        else expect(st, k).to.equal('verified');
      }
      const counters = (job.summary as BulkSummary).servers;
      expect(counters.find((c) => c.server === EXTRA)?.error, 'the unreachable server reports why').to.be.a('string');
      expect(counters.find((c) => c.server === 'demo')?.error).to.equal(undefined);

      // The server comes back with its files as the job left them; the job's rollback restores every domain.
      await startExtraServer(EXTRA);
      h.pool.close(EXTRA);
      const back = await h.runner.readback(job.id);
      expect(
        back.filter((r) => r.server === EXTRA).every((r) => r.live === 'after' || r.live === 'before'),
        JSON.stringify(back),
      ).to.equal(true);
      const undone = await h.runner.rollback(job.id, 'test');
      const after = statesOf(h.store, undone.id);
      expect(
        Object.values(after).every((st) => st === 'rolled-back'),
        JSON.stringify(after),
      ).to.equal(true);
      expect(await hashes(await h.pool.get(extra.config), extraFiles)).to.deep.equal(before.extra);
      expect(await hashes(demoSession, demoFiles)).to.deep.equal(before.demo);
    } finally {
      h.pool.closeAll();
      await startExtraServer(EXTRA);
    }
  });

  it("stops a server after K failed domains and rolls back only that server's changed domains, byte for byte", async () => {
    await resetExtraServer(EXTRA);
    const fault = new FaultInjector('startup-crash');
    const h = harness([demo, extra.config], endpoints, { ...VERIFY, restartTimeoutMs: 6_000 }, fault);
    try {
      const session = await h.pool.get(extra.config);
      const domains = ['shop-x.demo.test', 'chat-x.demo.test'];
      for (const d of domains) {
        // The fault seam points the app at this startup file; it dies on start, so verification must fail.
        await session.exec(['sh', '-c', `printf 'process.exit(3)\\n' > /var/www/vhosts/${d}/httpdocs/${CRASH_STARTUP_FILE}`]);
      }
      const files = domains.flatMap((d) => [
        `/var/www/vhosts/system/${d}/conf/vhost.conf`,
        `/var/www/vhosts/system/${d}/conf/vhost_ssl.conf`,
        `/var/www/vhosts/${d}/httpdocs/public/.htaccess`,
      ]);
      const before = await hashes(session, files);
      const job = await h.runner.start(
        {
          profile: 'socketio-safe',
          selection: { kind: 'filter', filter: 'at-risk' },
          servers: [EXTRA],
          verifyConcurrency: 1,
          maxFailPerServer: 1,
        },
        'test',
      );
      expect(fault.injected.length, 'the fault reached the vhost files').to.be.greaterThan(0);
      const states = h.store.jobs.domainStates(job.id);
      expect(states.map((s) => s.state).sort(), JSON.stringify(states)).to.deep.equal(['rolled-back', 'rolled-back']);
      // One domain was judged and failed; the limit stopped the other before its verification.
      const events = h.store.journal.events({ jobId: job.id }).filter((e) => e.step === 'domain');
      expect(events.filter((e) => (e.data as { state?: string }).state === 'failed')).to.have.length(1);
      expect(events.filter((e) => (e.data as { state?: string }).state === 'cancelled')).to.have.length(1);
      expect(job.status).to.equal('failed');
      expect(await hashes(session, files)).to.deep.equal(before);
      const test = await session.exec(['apache2ctl', '-t'], { allowFail: true });
      expect(test.code).to.equal(0);
    } finally {
      h.pool.closeAll();
    }
  });
});
