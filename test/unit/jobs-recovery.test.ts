/**
 * The one job runner on a scripted server: a single-domain change is a durable job whose plan and
 * checkpoint are stored before its first byte; when the process running it dies midway, the job shows
 * as interrupted and is rolled back byte for byte, or resumed to a verified end, by the bulk job code.
 */
import { expect } from 'chai';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { BulkRunner } from '../../backend/src/jobs/bulk-runner.js';
import { ChangeService } from '../../backend/src/jobs/change-service.js';
import { JobEventBus } from '../../backend/src/jobs/event-bus.js';
import { JobRunner } from '../../backend/src/jobs/job-runner.js';
import type { ChangeDeps } from '../../backend/src/jobs/ports.js';
import { DeadHolderLockRows } from '../../backend/src/jobs/stale-locks.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { type Store, createStore, openDatabase } from '../../backend/src/store/index.js';
import { demoInventory, seedFrom } from '../support/demo-inventory.js';
import { ScriptedServer } from '../support/scripted-server.js';

const SERVER = { name: 'demo', host: '127.0.0.1', port: 22, username: 'root', privateKeyPath: '/nonexistent' } as ServerConfig;
const IDLE = 'idle.demo.test';
// A pid no process has (above Linux's pid_max limit): the "runner" of the job is gone.
const DEAD_PID = 4_194_305;

interface Rig {
  fake: ScriptedServer;
  store: Store;
  /** The process that starts the change. */
  runner: JobRunner;
  /** Another process over the same store and server (the one that finds the job interrupted). */
  later: () => JobRunner;
}

function rig(): Rig {
  const inventory = demoInventory();
  const fake = seedFrom(new ScriptedServer(), inventory.domains);
  const store = createStore(openDatabase(':memory:'));
  const runnerOver = () => processRunner(store, fake, inventory);
  return { fake, store, runner: runnerOver(), later: runnerOver };
}

function processRunner(store: Store, fake: ScriptedServer, inventory: ReturnType<typeof demoInventory>): JobRunner {
  const db = store.db;
  const bus = new JobEventBus();
  const deps: ChangeDeps = {
    ports: { ops: async () => fake, inventory: async () => inventory },
    locks: new DomainLocks(new DeadHolderLockRows(new DomainLockRows(db))),
    endpointFor: () => ({ address: '127.0.0.1', httpPort: 8080, httpsPort: 8443 }),
    instanceTimeoutMs: 200,
  };
  const changes = new ChangeService({ ...deps, journal: store.journal });
  const bulk = new BulkRunner({
    ...deps,
    jobs: store.jobs,
    journal: store.journal,
    bus,
    servers: { list: () => [SERVER], get: () => SERVER },
  });
  return new JobRunner({ changes, bulk, jobs: store.jobs, journal: store.journal, bus });
}

/** Starts a change that stops for good after its write (the config test never answers), then "kills" its process. */
async function interrupted(r: Rig): Promise<string> {
  r.fake.failNext('configTest', 'hang');
  const { jobId } = r.runner.startChange(SERVER, IDLE, { kind: 'profile', profile: 'socketio-safe' }, 'test');
  for (let i = 0; i < 100 && !r.fake.calls.some((c) => c.startsWith('configTest')); i++) await new Promise((res) => setTimeout(res, 2));
  const job = r.store.jobs.get(jobId);
  expect(job?.plan, 'the plan and checkpoint are stored before the write').to.not.equal(null);
  // What SIGKILL leaves: the job row says running, its runner pid is gone (the lock row too is that pid's).
  r.store.db.prepare(`UPDATE jobs SET request_json = json_set(request_json, '$.runner.pid', ?) WHERE id = ?`).run(DEAD_PID, jobId);
  r.store.db.prepare('UPDATE domain_locks SET owner = ?').run(`pid ${DEAD_PID}`);
  return jobId;
}

describe('jobs: a single-domain change is a durable job with the recovery of a bulk job', () => {
  it('a change killed after its write shows as interrupted and `job rollback` restores the files byte for byte', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    const jobId = await interrupted(r);
    expect(r.fake.snapshot()).to.not.deep.equal(before);
    const later = r.later();
    const marked = later.reconcileInterrupted();
    expect(marked.map((j) => j.id)).to.deep.equal([jobId]);
    expect(r.store.jobs.get(jobId)?.status).to.equal('interrupted');
    expect((await later.readback(jobId)).map((d) => d.live)).to.deep.equal(['after']);

    const undone = await later.rollback(jobId, 'test');
    expect(undone.status).to.equal('cancelled');
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(r.store.jobs.domainStates(jobId).map((d) => d.state)).to.deep.equal(['rolled-back']);
  });

  it('a change killed after its write is resumed to a verified end with `job resume`', async () => {
    const r = rig();
    const jobId = await interrupted(r);
    const resumed = await r.later().resume(jobId, 'test');
    expect(resumed.status).to.equal('succeeded');
    expect(r.store.jobs.domainStates(jobId).map((d) => d.state)).to.deep.equal(['verified']);
    expect([...r.fake.snapshot().values()].some((t) => t.includes('PassengerMinInstances 1'))).to.equal(true);
  });

  it('a finished single job keeps its states and events in the store like any job', async () => {
    const r = rig();
    const { jobId, done } = r.runner.startChange(SERVER, 'multi.demo.test', { kind: 'profile', profile: 'socketio-safe' }, 'test');
    const result = await done;
    expect(result?.status).to.equal('verified');
    const job = r.store.jobs.get(jobId);
    expect(job?.status).to.equal('succeeded');
    expect(job?.kind).to.equal('apply');
    expect(r.store.jobs.domainStates(jobId).map((d) => d.state)).to.deep.equal(['verified']);
    const steps = r.store.journal.events({ jobId }).map((e) => `${e.step}:${e.status}`);
    expect(steps[0]).to.equal('job:start');
    expect(steps.at(-1)).to.equal('job:ok');
  });
});
