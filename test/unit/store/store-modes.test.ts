import { chmodSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { openDatabase, StoreError } from '../../../backend/src/store/index.js';

const modeOf = (path: string): number => statSync(path).mode & 0o777;

describe('store file modes (the store holds every domain config)', () => {
  const root = mkdtempSync(join(tmpdir(), 'pp-store-modes-'));
  let umask: number;
  beforeEach(() => {
    // The loosest umask a service could inherit: nothing may depend on it.
    umask = process.umask(0);
  });
  afterEach(() => process.umask(umask));
  after(() => rmSync(root, { recursive: true, force: true }));

  it('creates the data directory 0700 and the database, WAL and shared-memory files 0600 under umask 0', () => {
    const dir = join(root, 'fresh', 'data');
    const path = join(dir, 'panel.sqlite');
    const db = openDatabase(path);
    db.prepare('CREATE TABLE t (x INTEGER)').run();
    db.prepare('INSERT INTO t VALUES (1)').run();
    expect(modeOf(dir)).to.equal(0o700);
    for (const file of [path, `${path}-wal`, `${path}-shm`]) expect(modeOf(file), file).to.equal(0o600);
    db.close();
  });

  it('narrows an existing readable directory and database left by an older version', () => {
    const dir = join(root, 'old');
    mkdirSync(dir);
    chmodSync(dir, 0o755);
    const path = join(dir, 'panel.sqlite');
    openDatabase(path).close();
    chmodSync(path, 0o644);
    writeFileSync(`${path}-shm`, '');
    chmodSync(`${path}-shm`, 0o666);
    const db = openDatabase(path);
    expect(modeOf(dir)).to.equal(0o700);
    expect(modeOf(path)).to.equal(0o600);
    expect(modeOf(`${path}-wal`)).to.equal(0o600);
    db.close();
  });

  it('refuses a shared, world-writable directory instead of narrowing it', () => {
    const shared = join(root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    expect(() => openDatabase(join(shared, 'panel.sqlite')))
      .to.throw(StoreError)
      .with.property('message')
      .that.matches(/writable by every user/);
    expect(modeOf(shared)).to.equal(0o777);
  });
});
