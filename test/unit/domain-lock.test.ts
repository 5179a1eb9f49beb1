import { expect } from 'chai';
import { DomainBusyError, DomainLocks } from '../../backend/src/apply/domain-lock.js';
import { openDatabase } from '../../backend/src/store/db.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';

describe('apply/domain-lock: one change per domain at a time', () => {
  it('queues changes to the same domain in one process, lets other domains run alongside', async () => {
    const locks = new DomainLocks(new DomainLockRows(openDatabase(':memory:')));
    const log: string[] = [];
    const work = (name: string, ms: number) => async () => {
      log.push(`${name} start`);
      await new Promise((r) => setTimeout(r, ms));
      log.push(`${name} end`);
    };
    await Promise.all([
      locks.withLock('s', 'a.test', work('a1', 30)),
      locks.withLock('s', 'a.test', work('a2', 1)),
      locks.withLock('s', 'b.test', work('b1', 1)),
    ]);
    expect(log.indexOf('a2 start')).to.be.greaterThan(log.indexOf('a1 end'));
    expect(log.indexOf('b1 end')).to.be.lessThan(log.indexOf('a1 end'));
    expect(locks.isBusy('s', 'a.test')).to.equal(false);
  });

  it('refuses a second process (another owner on the same store) while the row is held, and frees it after', async () => {
    const db = openDatabase(':memory:');
    const mine = new DomainLocks(new DomainLockRows(db), 'pid 1');
    const theirs = new DomainLocks(new DomainLockRows(db), 'pid 2');
    let release!: () => void;
    const held = mine.withLock('s', 'a.test', () => new Promise<void>((r) => (release = r)));
    await new Promise((r) => setTimeout(r, 5));
    let caught: unknown;
    await theirs.withLock('s', 'a.test', async () => undefined).catch((err) => (caught = err));
    expect(caught).to.be.instanceOf(DomainBusyError);
    expect((caught as Error).message).to.contain('pid 1');
    release();
    await held;
    expect(await theirs.withLock('s', 'a.test', async () => 'ran')).to.equal('ran');
  });

  it('takes over a row whose lease ran out (its process died holding it)', async () => {
    const db = openDatabase(':memory:');
    const rows = new DomainLockRows(db);
    expect(rows.tryAcquireLock('s/a.test', 'dead', -1).acquired).to.equal(true);
    expect(rows.tryAcquireLock('s/a.test', 'alive', 60_000).acquired).to.equal(true);
    expect(rows.tryAcquireLock('s/a.test', 'third', 60_000)).to.deep.equal({ acquired: false, owner: 'alive' });
  });
});
