/**
 * A confirmed change carries the digest of the plan the user saw; the change service checks it against the
 * plan it makes under the domain's lock (the read its write is guarded by) and refuses, writing nothing,
 * when the files, the request or the checkpoint to restore differ from the preview.
 */
import { expect } from 'chai';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { ChangeService } from '../../backend/src/jobs/change-service.js';
import type { ChangeRequest } from '../../backend/src/jobs/change-types.js';
import { planDigest } from '../../backend/src/jobs/plan-digest.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { createStore, openDatabase } from '../../backend/src/store/index.js';
import { demoInventory, seedFrom } from '../support/demo-inventory.js';
import { ScriptedServer } from '../support/scripted-server.js';

const SERVER = { name: 'demo', host: '127.0.0.1', port: 22, username: 'root', privateKeyPath: '/nonexistent' } as ServerConfig;
const IDLE = 'idle.demo.test';
const PROFILE: ChangeRequest = { kind: 'profile', profile: 'socketio-safe' };

function rig() {
  const inventory = demoInventory();
  const fake = seedFrom(new ScriptedServer(), inventory.domains);
  const store = createStore(openDatabase(':memory:'));
  const changes = new ChangeService({
    ports: { ops: async () => fake, inventory: async () => inventory },
    locks: new DomainLocks(new DomainLockRows(store.db)),
    endpointFor: () => ({ address: '127.0.0.1', httpPort: 8080, httpsPort: 8443 }),
    journal: store.journal,
  });
  return { fake, store, changes };
}

describe('jobs: a confirm is tied to the previewed plan', () => {
  it('applies the previewed plan, and refuses with nothing written once a file of it changed', async () => {
    const { fake, store, changes } = rig();
    const preview = await changes.plan(SERVER, IDLE, PROFILE);
    const [first] = preview.files;
    expect(first, 'the profile writes a file on idle').to.not.equal(undefined);

    fake.seed(first!.path, `${first!.before}# edited after the preview\n`);
    const edited = fake.snapshot();
    const stale = await changes.apply(SERVER, IDLE, PROFILE, { actor: 'alice', verify: false, expectPlan: planDigest(preview) });
    expect(stale.status).to.equal('refused');
    expect(stale.message).to.match(/changed since its plan was shown.*nothing was written/);
    expect(fake.snapshot(), 'no file written').to.deep.equal(edited);
    expect(
      fake.calls.filter((c) => c.startsWith('putFileStates')),
      'no write',
    ).to.deep.equal([]);
    expect(store.journal.listChanges({ server: 'demo', domain: IDLE, limit: 5 }), 'nothing journaled').to.deep.equal([]);

    const again = await changes.plan(SERVER, IDLE, PROFILE);
    const done = await changes.apply(SERVER, IDLE, PROFILE, { actor: 'alice', verify: false, expectPlan: planDigest(again) });
    expect(done.status, done.message).to.equal('applied');
    expect(
      fake.calls.some((c) => c.startsWith('putFileStates')),
      'the confirmed plan is written',
    ).to.equal(true);
  });

  it('refuses a rollback confirmed for an older checkpoint once a newer change wrote', async () => {
    const { fake, changes } = rig();
    await changes.apply(SERVER, IDLE, PROFILE, { actor: 'alice', verify: false });
    const preview = await changes.rollback(SERVER, IDLE, { actor: 'preview', dryRun: true });
    const setting: ChangeRequest = { kind: 'set', settings: [{ key: 'passenger_min_instances', value: 2 }] };
    expect((await changes.apply(SERVER, IDLE, setting, { actor: 'admin', verify: false })).status).to.equal('applied');
    const afterAdmin = fake.snapshot();

    const stale = await changes.rollback(SERVER, IDLE, { actor: 'alice', verify: false, expectPlan: planDigest(preview.plan!) });
    expect(stale.status).to.equal('refused');
    expect(fake.snapshot(), 'nothing restored').to.deep.equal(afterAdmin);
  });
});
