import { expect } from 'chai';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { stepEvent } from '../../../backend/src/events.js';
import { createServices, type Services } from '../../../backend/src/main.js';
import { changeJobs } from '../../../backend/src/web/change-jobs.js';

// The jobs side of change-jobs over a real (in-memory) store; nothing here contacts a server.
describe('web: change jobs over the store', () => {
  let services: Services;
  let dataDir: string;

  beforeEach(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'pp-change-jobs-'));
    services = await createServices({
      dataDir,
      databasePath: ':memory:',
      demoConnectionPath: join(dataDir, 'none.json'),
      logger: pino({ level: 'silent' }),
    });
  });
  afterEach(async () => {
    await services.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  const build = () =>
    changeJobs({
      servers: services.servers,
      inventory: services.inventory,
      changes: services.changes,
      runner: services.runner,
      store: services.store,
      events: services.events,
    });

  it('marks single jobs left running by an earlier process as interrupted, and leaves bulk jobs to the bulk runner', () => {
    const single = services.store.jobs.create({ kind: 'apply', actor: 'admin', request: {}, status: 'running' });
    services.store.jobs.setDomainState(single.id, 'demo', 'multi.demo.test', 'running');
    const bulk = services.store.jobs.create({ kind: 'bulk', actor: 'admin', request: {}, status: 'running' });
    const { jobs } = build();
    expect(services.store.jobs.get(single.id)?.status).to.equal('interrupted');
    expect(services.store.jobs.get(bulk.id)?.status).to.equal('running');
    const last = jobs.history?.(single.id).at(-1);
    expect(last?.step).to.equal('job');
    expect(last?.status).to.equal('fail');
    expect(last?.message).to.match(/^Interrupted/);
  });

  it("scopes, describes and lists jobs; history merges job events with its changes' events, once each, in order", () => {
    const { jobs } = build();
    const job = services.store.jobs.create({ kind: 'apply', actor: 'alice', request: {}, status: 'running' });
    services.store.jobs.setDomainState(job.id, 'demo', 'multi.demo.test', 'verified');
    services.store.journal.addEvent({ jobId: job.id }, stepEvent('job', 'start', 'Started'));
    const change = services.store.journal.createChange({
      server: 'demo',
      domain: 'multi.demo.test',
      actor: 'alice',
      kind: 'apply',
      request: {},
      jobId: job.id,
    });
    const write = stepEvent('write', 'ok', 'Wrote 1 file', { domain: 'multi.demo.test' });
    services.store.journal.addEvent({ changeId: change.id }, write);
    services.store.journal.addEvent({ changeId: change.id }, write); // an automatic rollback journals under two changes
    services.store.journal.addEvent({ jobId: job.id }, stepEvent('job', 'ok', 'Verified'));

    expect(jobs.scope(job.id)).to.deep.equal({ id: job.id, kind: 'single', domains: ['multi.demo.test'], server: 'demo' });
    expect(jobs.scope('job_unknown')).to.equal(undefined);
    expect(jobs.history?.(job.id).map((e) => `${e.step}:${e.status}`)).to.deep.equal(['job:start', 'write:ok', 'job:ok']);
    expect(jobs.history?.(job.id).every((e) => e.jobId === job.id)).to.equal(true);
    expect(jobs.describe?.(job.id)?.domains).to.deep.equal([
      { server: 'demo', domain: 'multi.demo.test', state: 'verified', message: null },
    ]);
    expect(jobs.recent?.(10).map((j) => j.id)).to.include(job.id);

    const bulk = services.store.jobs.create({ kind: 'bulk', actor: 'admin', request: {}, status: 'running' });
    expect(jobs.scope(bulk.id)?.kind).to.equal('bulk');
  });
});
