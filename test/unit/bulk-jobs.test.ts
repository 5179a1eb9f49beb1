import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { hostname } from 'node:os';
import { PassThrough } from 'node:stream';
import type { ChangePlan, FileChange } from '../../backend/src/apply/plan.js';
import { afterSha, classifyAgainstPlan } from '../../backend/src/apply/checkpoints.js';
import { ProgressView } from '../../backend/src/cli/bulk.js';
import { runnerIsGone } from '../../backend/src/jobs/bulk-runner.js';
import { mapLimit } from '../../backend/src/jobs/concurrency.js';
import { JobEventBus, type JobEvent } from '../../backend/src/jobs/event-bus.js';
import { DeadHolderLockRows } from '../../backend/src/jobs/stale-locks.js';
import { sha256Hex } from '../../backend/src/ssh/files.js';
import { createStore, openDatabase } from '../../backend/src/store/index.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';

function file(path: string, before: string | null, after: string | null): FileChange {
  return {
    path,
    kind: path.endsWith('.htaccess') ? 'htaccess' : 'vhost',
    existedBefore: before !== null,
    existsAfter: after !== null,
    beforeSha256: before === null ? 'absent' : sha256Hex(before),
    before: before ?? '',
    after: after ?? '',
    encoding: 'utf8',
    diff: '',
    keys: [],
    needsReload: !path.endsWith('.htaccess'),
    needsRegenerate: false,
  };
}

function plan(files: FileChange[]): ChangePlan {
  return {
    server: 's',
    domain: 'a.test',
    what: 'x',
    createdAt: '',
    settings: [],
    files,
    reloadNeeded: true,
    regenerateNeeded: false,
    reloadImpact: null,
    findings: [],
    nothingToDo: false,
    summary: '',
  };
}

/** A pid that surely belongs to no process: one that just exited. */
function deadPid(): number {
  return spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {
    encoding: 'utf8',
  }).stdout.trim() as unknown as number;
}

describe('bulk jobs: pure parts', () => {
  describe('classifyAgainstPlan (what a read-back finds)', () => {
    const p = plan([file('/c/vhost.conf', 'old\n', 'old\nnew\n'), file('/d/.htaccess', null, 'PassengerStickySessions on\n')]);
    const sha = (entries: Array<[string, string]>) => new Map(entries);

    it('tells untouched, fully written, half written and foreign files apart', () => {
      expect(
        classifyAgainstPlan(
          p,
          sha([
            ['/c/vhost.conf', sha256Hex('old\n')],
            ['/d/.htaccess', 'absent'],
          ]),
        ),
      ).to.equal('before');
      expect(
        classifyAgainstPlan(
          p,
          sha([
            ['/c/vhost.conf', afterSha(p.files[0]!)],
            ['/d/.htaccess', afterSha(p.files[1]!)],
          ]),
        ),
      ).to.equal('after');
      expect(
        classifyAgainstPlan(
          p,
          sha([
            ['/c/vhost.conf', afterSha(p.files[0]!)],
            ['/d/.htaccess', 'absent'],
          ]),
        ),
      ).to.equal('partial');
      expect(
        classifyAgainstPlan(
          p,
          sha([
            ['/c/vhost.conf', sha256Hex('edited by hand\n')],
            ['/d/.htaccess', 'absent'],
          ]),
        ),
      ).to.equal('foreign');
    });

    it('treats a file the plan removes as written once it is gone', () => {
      const removal = plan([file('/c/vhost.conf', 'ours\n', null)]);
      expect(afterSha(removal.files[0]!)).to.equal('absent');
      expect(classifyAgainstPlan(removal, sha([['/c/vhost.conf', 'absent']]))).to.equal('after');
    });
  });

  it('mapLimit never runs more than the bound at once and keeps input order', async () => {
    let running = 0;
    let peak = 0;
    const out = await mapLimit([5, 1, 4, 2, 3, 0, 6], 3, async (n) => {
      running += 1;
      peak = Math.max(peak, running);
      await new Promise((r) => setTimeout(r, n * 3));
      running -= 1;
      return n * 10;
    });
    expect(peak).to.equal(3);
    expect(out).to.deep.equal([50, 10, 40, 20, 30, 0, 60]);
  });

  it('DeadHolderLockRows frees a domain whose holder process is gone, and only then', () => {
    const rows = new DomainLockRows(openDatabase(':memory:'));
    const locks = new DeadHolderLockRows(rows);
    const dead = Number(deadPid());
    expect(rows.tryAcquireLock('s/a.test', `pid ${dead}`, 60_000).acquired).to.equal(true);
    expect(locks.tryAcquireLock('s/a.test', 'pid 999999999', 60_000).acquired).to.equal(true);
    // A live holder (this very process under another owner name) keeps its lock.
    expect(rows.tryAcquireLock('s/b.test', `pid ${process.ppid}`, 60_000).acquired).to.equal(true);
    const refused = locks.tryAcquireLock('s/b.test', 'pid 999999999', 60_000);
    expect(refused).to.deep.equal({ acquired: false, owner: `pid ${process.ppid}` });
  });

  it('runnerIsGone: a running job whose process died is interrupted; a live one is not', () => {
    const store = createStore(openDatabase(':memory:'));
    const gone = store.jobs.create({
      kind: 'bulk',
      actor: 't',
      status: 'running',
      request: { runner: { pid: Number(deadPid()), host: hostname(), startedAt: '' } },
    });
    const alive = store.jobs.create({
      kind: 'bulk',
      actor: 't',
      status: 'running',
      request: { runner: { pid: process.pid, host: hostname(), startedAt: '' } },
    });
    const elsewhere = store.jobs.create({
      kind: 'bulk',
      actor: 't',
      status: 'running',
      request: { runner: { pid: Number(deadPid()), host: `${hostname()}-other`, startedAt: '' } },
    });
    expect(runnerIsGone(gone)).to.equal(true);
    expect(runnerIsGone(alive)).to.equal(false);
    // Another machine's process cannot be checked from here: never declared dead.
    expect(runnerIsGone(elsewhere)).to.equal(false);
  });

  it('the event bus delivers per job and to all-jobs listeners, and a throwing listener breaks nothing', () => {
    const bus = new JobEventBus();
    const one: JobEvent[] = [];
    const all: JobEvent[] = [];
    const off = bus.subscribe('j1', (e) => one.push(e));
    bus.subscribeAll((e) => all.push(e));
    bus.subscribe('j1', () => {
      throw new Error('listener bug');
    });
    const e = (jobId: string): JobEvent => ({ jobId, at: '2026-01-01T00:00:00.000Z', step: 'domain', status: 'info', message: 'x' });
    bus.publish(e('j1'));
    bus.publish(e('j2'));
    off();
    bus.publish(e('j1'));
    expect(one).to.have.length(1);
    expect(all.map((x) => x.jobId)).to.deep.equal(['j1', 'j2', 'j1']);
    expect(bus.failedListenerCalls).to.equal(2);
  });

  it('ProgressView prints a line per finished domain with a bar when not on a terminal', () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (b: Buffer) => (text += b.toString()));
    const view = new ProgressView(stream, false);
    const ev = (domain: string, state: string): JobEvent => ({
      jobId: 'j',
      at: '2026-01-01T10:00:00.000Z',
      step: 'domain',
      status: 'info',
      message: '',
      server: 's',
      domain,
      data: { state },
    });
    view.onEvent(ev('a.test', 'planned'));
    view.onEvent(ev('b.test', 'planned'));
    view.onEvent(ev('a.test', 'verified'));
    view.onEvent(ev('b.test', 'writing'));
    view.finish();
    expect(text.trim().split('\n')).to.deep.equal([`10:00:00 [${'#'.repeat(15)}${'-'.repeat(15)}] 1/2  s/a.test verified`]);
  });
});
