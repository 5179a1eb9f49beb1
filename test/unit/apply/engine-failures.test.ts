/**
 * Every failure path of the change engine, driven by a scripted server (no test host, milliseconds):
 * the files must end byte-identical to before (or to the verified new state), the journal must tell
 * every step, and the typed outcome must say what happened.
 */
import { expect } from 'chai';
import { exitCodeForState } from '../../../backend/src/cli/exit-codes.js';
import { Checkpoints } from '../../../backend/src/apply/checkpoints.js';
import { DomainLocks } from '../../../backend/src/apply/domain-lock.js';
import { applyBatch } from '../../../backend/src/apply/engine.js';
import { type ChangePlan, findDomain, planBatch } from '../../../backend/src/apply/plan.js';
import { socketioSafeProfile } from '../../../backend/src/profile/socketio-safe.js';
import type { ServerConfig } from '../../../backend/src/config/types.js';
import type { StepEvent } from '../../../backend/src/events.js';
import { type ChangeRequest, ChangeService } from '../../../backend/src/jobs/change-service.js';
import type { ServerInventory } from '../../../backend/src/plesk/inventory.js';
import { DomainLockRows } from '../../../backend/src/store/domain-locks.js';
import { type Store, createStore, openDatabase } from '../../../backend/src/store/index.js';
import { demoInventory, seedFrom } from '../../support/demo-inventory.js';
import { ScriptedServer } from '../../support/scripted-server.js';

const SERVER = { name: 'demo', host: '127.0.0.1', port: 22, username: 'root', privateKeyPath: '/nonexistent' } as ServerConfig;
const ENDPOINT = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443 };
// idle has a vhost.conf and vhost_ssl.conf already: its profile edits both and needs one reload, no regeneration.
const IDLE = 'idle.demo.test';
const PROFILE: ChangeRequest = { kind: 'profile', profile: 'socketio-safe' };

interface Rig {
  fake: ScriptedServer;
  store: Store;
  service: ChangeService;
  inventory: ServerInventory;
  events: StepEvent[];
}

function rig(): Rig {
  const inventory = demoInventory();
  const fake = seedFrom(new ScriptedServer(), inventory.domains);
  const db = openDatabase(':memory:');
  const store = createStore(db);
  const service = new ChangeService({
    ports: { ops: async () => fake, inventory: async () => inventory },
    journal: store.journal,
    locks: new DomainLocks(new DomainLockRows(db)),
    endpointFor: () => ENDPOINT,
    instanceTimeoutMs: 200,
    verifyDeadlineMs: 50,
  });
  return { fake, store, service, inventory, events: [] };
}

async function apply(r: Rig, request: ChangeRequest = PROFILE, domain = IDLE) {
  return r.service.apply(SERVER, domain, request, { actor: 'test', events: (e) => r.events.push(e) });
}

function steps(r: Rig): string[] {
  return r.events.map((e) => `${e.step}:${e.status}`);
}

function journalSteps(r: Rig, changeId: string | undefined): string[] {
  return r.store.journal.events({ changeId: changeId as string }).map((e) => `${e.step}:${e.status}`);
}

describe('apply: the change engine on its failure paths (scripted server)', () => {
  it('config test fails: rolled back byte for byte, no reload, journal and outcome say so', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('configTest', 'fail');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(exitCodeForState(result.status)).to.equal(1);
    expect(result.outcome?.errorCode).to.equal('config_test_failed');
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(r.fake.calls.filter((c) => c.startsWith('reload'))).to.deep.equal([]);
    expect(journalSteps(r, result.changeId)).to.include.members([
      'checkpoint:ok',
      'write:ok',
      'config-test:fail',
      'restore:ok',
      'config-test:ok',
    ]);
    expect(r.store.journal.getChange(result.changeId as string)?.status).to.equal('rolled-back');
  });

  it('reload fails: restored, tested and reloaded again onto the old config', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('reload', 'fail');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(result.outcome?.errorCode).to.equal('web_server_reload');
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(r.fake.calls.filter((c) => c.startsWith('reload'))).to.have.length(2);
    expect(steps(r)).to.include.members(['reload:start', 'apply:fail', 'restore:ok', 'reload:ok']);
  });

  it('Apache gone after the reload: started again, then the change is verified', async () => {
    const r = rig();
    r.fake.failNext('reload', 'down');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('verified');
    expect(r.fake.calls).to.include('startWebServer apache');
    expect(steps(r)).to.include.members(['web-server:fail', 'web-server:ok', 'instance:ok']);
    expect(r.fake.running.has('apache')).to.equal(true);
  });

  it('Apache gone after the reload and it cannot be started: reported, restored, and started on the old config', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('reload', 'down').failNext('startWebServer', 'fail');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(result.outcome?.errorCode).to.equal('web_server_down');
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(r.fake.running.has('apache'), 'the old config brings Apache back').to.equal(true);
  });

  it('write error: the half-written state is restored from the checkpoint', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('putFileStates', 'fail');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(journalSteps(r, result.changeId)).to.include.members(['checkpoint:ok', 'write:start', 'apply:fail', 'restore:ok']);
  });

  it('connection drop between write and config test: restored once the connection is back', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('configTest', 'drop');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(result.outcome?.errorCode).to.equal('ssh_unreachable');
    expect(r.fake.snapshot()).to.deep.equal(before);
  });

  it('connection drop during the rollback: rollback-failed, recorded with its checkpoint, and a later rollback restores it', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('configTest', 'fail').failNext('putFileStates', 'pass').failNext('putFileStates', 'drop');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rollback-failed');
    expect(exitCodeForState(result.status)).to.equal(3);
    expect(r.fake.snapshot()).to.not.deep.equal(before);
    const change = r.store.journal.getChange(result.changeId as string);
    expect(change?.status).to.equal('rollback-failed');
    expect(change?.checkpointId).to.equal(result.checkpointId);
    expect(journalSteps(r, result.changeId)).to.include('restore:fail');

    const again = await r.service.rollback(SERVER, IDLE, { actor: 'test', to: result.checkpointId as string });
    expect(r.fake.snapshot()).to.deep.equal(before);
    expect(again.status, again.message).to.be.oneOf(['verified', 'applied']);
  });

  it('verification fails: automatic rollback, itself verified, journaled as its own change', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.verdicts.push('fail', 'ok');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(exitCodeForState(result.status)).to.equal(1);
    expect(result.rollback?.verification?.ok).to.equal(true);
    expect(r.fake.snapshot()).to.deep.equal(before);
    const history = r.service.history(SERVER, IDLE);
    expect(history.find((c) => c.id === result.rollback?.changeId)?.kind).to.equal('auto-rollback');
    expect(history.find((c) => c.id === result.changeId)?.status).to.equal('rolled-back');
    const own = journalSteps(r, result.changeId);
    for (const s of [
      'plan:info',
      'checkpoint:ok',
      'write:ok',
      'config-test:ok',
      'reload:ok',
      'verify.verdict:fail',
      'rollback:start',
      'rollback:ok',
    ])
      expect(own, s).to.include(s);
  });

  it('verification times out: counted as failed, rolled back', async () => {
    const r = rig();
    const before = r.fake.snapshot();
    r.fake.failNext('verify', 'hang');
    const result = await apply(r);
    expect(result.status, result.message).to.equal('rolled-back');
    expect(result.message).to.match(/did not complete|verification failed/);
    expect(r.fake.snapshot()).to.deep.equal(before);
  });

  it('two changes to one domain at once: never interleaved; the second waits, then plans from what the first left', async () => {
    const r = rig();
    const [a, b] = await Promise.all([apply(r), apply(r, { kind: 'set', settings: [{ key: 'passenger_max_requests', value: '0' }] })]);
    expect([a.status, b.status], `${a.message} | ${b.message}`).to.deep.equal(['verified', 'verified']);
    // Each change is one block: plan read, write, bring-up, verification; the second's read comes after the first's verification.
    const ops = r.fake.calls.map((c) => c.split(' ')[0]);
    const firstVerify = ops.indexOf('verify');
    expect(ops.indexOf('readFiles', 1)).to.be.greaterThan(firstVerify);
    expect(ops.filter((c) => c === 'putFileStates')).to.have.length(2);
    // The second plan was made from the first's result: both changes are in the files.
    const vhost = r.fake.snapshot().get('/var/www/vhosts/system/idle.demo.test/conf/vhost.conf') ?? '';
    expect(vhost).to.contain('PassengerMinInstances 1').and.to.contain('PassengerMaxRequests 0');
  });

  it('a .htaccess-only change needs no regeneration, no config test and no reload', async () => {
    const r = rig();
    const result = await apply(r, PROFILE, 'multi.demo.test');
    expect(result.status, result.message).to.equal('verified');
    expect(r.fake.calls.filter((c) => /^(regenerate|configTest|reload|passengerInstance)/.test(c))).to.deep.equal([]);
    // One read (the plan's, under the lock, is the checkpoint), one write, the verification.
    expect(r.fake.calls.map((c) => c.split(' ')[0])).to.deep.equal(['readFiles', 'putFileStates', 'verify']);
  });

  it('a batch refuses only the domain whose files changed since its plan; the others are written and loaded', async () => {
    const r = rig();
    const ops = r.fake;
    const planned = await planBatch(
      ops,
      r.inventory,
      ['idle.demo.test', 'plainhttp.demo.test'].map((name) => {
        const domain = findDomain(r.inventory, name);
        return { domain, settings: socketioSafeProfile(domain).settings, what: 'test' };
      }),
    );
    const [idle, plain] = planned.map((p) => p.plan as ChangePlan) as [ChangePlan, ChangePlan];
    // Someone edits plainhttp's vhost.conf after the plan was made.
    const edited = plain.files.find((f) => f.kind === 'vhost') as ChangePlan['files'][number];
    r.fake.seed(edited.path, `${edited.before}# edited by hand\n`);
    const untouched = r.fake.snapshot().get(edited.path);
    const result = await applyBatch(
      ops,
      [idle, plain].map((plan) => ({ plan, webServer: 'apache' as const })),
      { server: 'demo', checkpoints: new Checkpoints(r.store.journal), events: (e) => r.events.push(e), reason: 'test' },
    );
    expect(result.domains.map((d) => `${d.domain}:${d.status}`)).to.deep.equal(['idle.demo.test:applied', 'plainhttp.demo.test:refused']);
    expect(result.domains[1]?.errorCode).to.equal('file_changed');
    expect(r.fake.snapshot().get(edited.path)).to.equal(untouched);
    expect(result.bring.configTests).to.equal(1);
    expect(r.fake.calls.filter((c) => c.startsWith('reload'))).to.deep.equal(['reload apache']);
  });
});
