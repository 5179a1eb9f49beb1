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
import { TEST_CRASH_STARTUP_FILE, TEST_FAULT_ENV } from '../../backend/src/apply/test-fault.js';
import { CONNECTION_FILE, resetHost } from '../support/testhost.js';
import { type ExtraServer, resetExtraServer, startExtraServer, stopExtraServer } from '../support/extra-servers.js';

// These tests CHANGE demo domains on the test host and on the extra server "b":
// run them under `flock /var/lock/pp-host.lock`.
const DEMO_ENDPOINT: PublicEndpoint = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };
// A short process watch keeps the file within its budget; the product default (10 s) is for real use.
const VERIFY = { watchWindowMs: 1_500 };
const EXTRA = 'b';

interface Harness {
  store: Store;
  pool: SessionPool;
  runner: BulkRunner;
  bus: JobEventBus;
  servers: ServerConfig[];
}

function harness(servers: ServerConfig[], endpoints: Map<string, PublicEndpoint>): Harness {
  const store = createStore(openDatabase(':memory:'));
  const pool = new SessionPool({ connectTimeoutMs: 3_000 });
  const bus = new JobEventBus();
  const runner = new BulkRunner({
    pool,
    jobs: store.jobs,
    journal: store.journal,
    bus,
    locks: new DomainLocks(new DomainLockRows(store.db)),
    servers: { list: () => servers, get: (n) => servers.find((s) => s.name === n) ?? (() => { throw new Error(`no server ${n}`); })() },
    endpointFor: (s) => endpoints.get(s.name) as PublicEndpoint,
    verifyDefaults: VERIFY,
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
    endpoints = new Map([[demo.name, DEMO_ENDPOINT], [EXTRA, extra.endpoint]]);
  });

  after(async () => {
    delete process.env[TEST_FAULT_ENV];
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
      const job = await h.runner.start({ profile: 'socketio-safe', selection: { kind: 'filter', filter: 'at-risk' }, verifyConcurrency: 4 }, 'test');
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
        { domain: 'shop-x.demo.test', scheme: 'https', address: extra.endpoint.address, port: extra.endpoint.httpsPort, acceptSelfSignedOnTestHost: true },
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
});
