import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { createStore, migrate, openDatabase, StoreError, type Store } from '../../../backend/src/store/index.js';
import { migrations } from '../../../backend/src/store/migrations.js';
import { stepEvent } from '../../../backend/src/events.js';

describe('store', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-store-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  describe('migrations', () => {
    it('apply once, are recorded, and are a no-op when run again on the same file', () => {
      const path = join(dir, 'idempotent.sqlite');
      const first = openDatabase(path);
      const recorded = first.prepare('SELECT id, name FROM migrations ORDER BY id').all() as { id: number }[];
      expect(recorded.map((r) => r.id)).to.deep.equal(migrations.map((m) => m.id));
      expect(first.pragma('journal_mode', { simple: true })).to.equal('wal');
      expect(first.pragma('foreign_keys', { simple: true })).to.equal(1);
      first.close();
      const second = openDatabase(path);
      expect(migrate(second, migrations)).to.deep.equal([]);
      expect((second.prepare('SELECT count(*) AS n FROM migrations').get() as { n: number }).n).to.equal(migrations.length);
      second.close();
    });

    it('apply only the new ones when the list grows', () => {
      const db = openDatabase(join(dir, 'grow.sqlite'));
      const more = [...migrations, { id: 1000, name: 'test extra table', up: 'CREATE TABLE extra (x INTEGER)' }];
      expect(migrate(db, more)).to.deep.equal([1000]);
      expect(migrate(db, more)).to.deep.equal([]);
      db.close();
    });

    it('roll back a failing migration as a whole and record nothing', () => {
      const db = openDatabase(':memory:');
      const broken = [
        ...migrations,
        { id: 1001, name: 'half broken', up: 'CREATE TABLE half (x INTEGER); CREATE TABLE half (y INTEGER);' },
      ];
      expect(() => migrate(db, broken)).to.throw(/already exists/);
      expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).to.equal(undefined);
      expect(db.prepare('SELECT id FROM migrations WHERE id = 1001').get()).to.equal(undefined);
      db.close();
    });

    it('refuse an out-of-order list and a database newer than the code', () => {
      const db = openDatabase(':memory:');
      expect(() => migrate(db, [migrations[0]!, { id: 1, name: 'dup', up: '' }])).to.throw(StoreError, /out of order/);
      db.prepare("INSERT INTO migrations (id, name, applied_at) VALUES (999, 'future', 'x')").run();
      expect(() => migrate(db, migrations)).to.throw(StoreError, /does not know \(999\)/);
      db.close();
    });
  });

  describe('repositories', () => {
    let store: Store;
    beforeEach(() => {
      store = createStore(openDatabase(':memory:'));
    });
    afterEach(() => store.db.close());

    it('servers: upsert, read back, replace, remove; a server without a pinned key is refused', () => {
      const server = {
        name: 'web1',
        host: 'web1.example.test',
        port: 22,
        username: 'root',
        privateKeyPath: '/k',
        hostKeyFingerprint: 'SHA256:x',
        socketIoPaths: { 'a.test': '/live/socket.io/' },
      };
      store.servers.upsert(server, 'store');
      expect(store.servers.get('web1')).to.include({ host: 'web1.example.test', source: 'store', knownHostsPath: undefined });
      expect(store.servers.get('web1')?.socketIoPaths).to.deep.equal({ 'a.test': '/live/socket.io/' });
      store.servers.upsert({ ...server, port: 2200, socketIoPaths: undefined }, 'config');
      expect(store.servers.list()).to.have.length(1);
      expect(store.servers.get('web1')).to.include({ port: 2200, source: 'config', socketIoPaths: undefined });
      expect(() => store.servers.upsert({ ...server, name: 'nopin', hostKeyFingerprint: undefined }, 'store')).to.throw(/CHECK constraint/);
      expect(store.servers.remove('web1')).to.equal(true);
      expect(store.servers.remove('web1')).to.equal(false);
    });

    it('journal: change with plan, checkpoint, events in order, newest-first listing', () => {
      const { journal } = store;
      const change = journal.createChange({
        server: 's',
        domain: 'a.test',
        actor: 'admin',
        kind: 'apply',
        request: { profile: 'socketio-safe' },
      });
      expect(change).to.include({ status: 'planned', domain: 'a.test', plan: undefined });
      const checkpoint = journal.saveCheckpoint({
        server: 's',
        domain: 'a.test',
        reason: 'apply socketio-safe',
        files: [
          { path: '/x/vhost.conf', existed: true, content: 'A\r\nB', sha256: 'abc', mode: '644' },
          { path: '/x/.htaccess', existed: false, content: null, sha256: null },
        ],
      });
      const updated = journal.updateChange(change.id, {
        plan: { steps: 2 },
        diff: '--- a\n+++ b\n',
        checkpointId: checkpoint.id,
        status: 'verified',
        verdict: 'safe',
        endedAt: '2026-01-01T00:00:00.000Z',
      });
      expect(updated).to.deep.include({ plan: { steps: 2 }, checkpointId: checkpoint.id, status: 'verified', verdict: 'safe' });
      expect(journal.updateChange(change.id, { verdict: null }).verdict).to.equal(undefined);
      expect(journal.getCheckpoint(checkpoint.id)).to.deep.include({ reason: 'apply socketio-safe', domain: 'a.test' });
      expect(journal.getCheckpoint(checkpoint.id)?.files[0]?.content).to.equal('A\r\nB');
      expect(journal.listCheckpoints('s', 'a.test').map((c) => c.id)).to.deep.equal([checkpoint.id]);

      const seen: string[] = [];
      const sink = journal.sinkFor({ changeId: change.id }, (e) => seen.push(e.step));
      sink(stepEvent('write', 'start', 'writing', { domain: 'a.test', data: { files: 2 } }));
      sink(stepEvent('write', 'ok', 'written'));
      const events = journal.events({ changeId: change.id });
      expect(events.map((e) => `${e.step}:${e.status}`)).to.deep.equal(['write:start', 'write:ok']);
      expect(events[0]).to.deep.include({ domain: 'a.test', data: { files: 2 }, changeId: change.id });
      expect(events[1]).to.not.have.property('domain');
      expect(seen).to.deep.equal(['write', 'write']);

      const second = journal.createChange({ server: 's', domain: 'a.test', actor: 'admin', kind: 'rollback', request: {} });
      expect(journal.listChanges({ domain: 'a.test' }).map((c) => c.id)).to.deep.equal([second.id, change.id]);
      expect(journal.listChanges({ server: 'other' })).to.deep.equal([]);
      expect(() => journal.addEvent({}, stepEvent('x', 'info', 'x'))).to.throw(/change id or a job id/);
      expect(() => journal.updateChange('nope', { status: 'failed' })).to.throw(/no change/);
      expect(() => journal.addEvent({ changeId: 'nope' }, stepEvent('x', 'info', 'x'))).to.throw(/FOREIGN KEY/);
    });

    it('jobs: per-domain state, and running jobs become interrupted on restart', () => {
      const { jobs } = store;
      const job = jobs.create({ kind: 'bulk', actor: 'admin', request: { where: 'at-risk' }, status: 'running' });
      const done = jobs.create({ kind: 'bulk', actor: 'admin', request: {} });
      jobs.update(done.id, { status: 'succeeded', summary: { ok: 3 }, endedAt: new Date().toISOString() });
      const change = { id: 'ch_test' };
      jobs.setDomainState(job.id, 's1', 'b.test', 'written', { changeId: change.id });
      jobs.setDomainState(job.id, 's1', 'b.test', 'verifying', { message: 'probe round 3' });
      jobs.setDomainState(job.id, 's1', 'a.test', 'planned');
      expect(jobs.domainStates(job.id).map((d) => [d.domain, d.state, d.changeId])).to.deep.equal([
        ['a.test', 'planned', undefined],
        ['b.test', 'verifying', change.id],
      ]);
      store.db.prepare("INSERT INTO events (job_id, at, step, status, message) VALUES (?, 'now', 'bulk', 'start', 'started')").run(job.id);
      expect(() => store.db.prepare("INSERT INTO events (at, step, status, message) VALUES ('now', 'x', 'info', 'orphan')").run()).to.throw(
        /CHECK constraint/,
      );
      expect(() =>
        store.db.prepare("INSERT INTO events (job_id, at, step, status, message) VALUES ('nope', 'now', 'x', 'info', 'x')").run(),
      ).to.throw(/FOREIGN KEY/);
      expect(jobs.markInterrupted().map((j) => j.id)).to.deep.equal([job.id]);
      expect(jobs.get(job.id)?.status).to.equal('interrupted');
      expect(jobs.get(done.id)).to.deep.include({ status: 'succeeded', summary: { ok: 3 } });
      expect(jobs.list({ status: 'interrupted' }).map((j) => j.id)).to.deep.equal([job.id]);
    });
  });
});
