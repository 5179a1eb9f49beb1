import { expect } from 'chai';
import type { ChangePlan, FileChange } from '../../../backend/src/apply/plan.js';
import { planDigest, staleConfirmReason } from '../../../backend/src/jobs/plan-digest.js';
import { AuthError } from '../../../backend/src/web/errors.js';
import { rollbackCheckpointFor, rollbackRefusal } from '../../../backend/src/web/rollback-rule.js';
import type { DomainHistoryEntry } from '../../../backend/src/web/services.js';
import { canSeeDomain, canSeeJob, serverScopeOf, userFromClaims, type PanelUser } from '../../../backend/src/web/users.js';
import type { TokenClaims } from '../../../backend/src/web/token.js';
import { ValidationError } from '../../../backend/src/errors.js';

const file = (over: Partial<FileChange> = {}): FileChange => ({
  path: '/var/www/vhosts/multi.demo.test/httpdocs/.htaccess',
  kind: 'htaccess',
  existedBefore: true,
  existsAfter: true,
  beforeSha256: 'a'.repeat(64),
  before: 'RewriteEngine On\n',
  after: 'RewriteEngine On\n# passenger-panel\nPassengerStickySessions on\n',
  encoding: 'utf8',
  diff: '',
  keys: ['stickySessions'],
  needsReload: false,
  needsRegenerate: false,
  ...over,
});

const plan = (over: Partial<ChangePlan> = {}): ChangePlan => ({
  server: 'demo',
  domain: 'multi.demo.test',
  what: 'profile socketio-safe',
  createdAt: '2026-12-06T16:00:00.000Z',
  settings: [],
  files: [file()],
  reloadNeeded: false,
  regenerateNeeded: false,
  reloadImpact: null,
  findings: [],
  nothingToDo: false,
  summary: 'one file',
  ...over,
});

describe('confirm: the plan digest', () => {
  const shown = planDigest(plan());

  it('is the same for the same plan read again later, and independent of file order', () => {
    expect(planDigest(plan({ createdAt: '2026-12-06T17:00:00.000Z', summary: 'other words' }))).to.equal(shown);
    const two = [file(), file({ path: '/var/www/vhosts/system/multi.demo.test/conf/vhost.conf', kind: 'vhost' })];
    expect(planDigest(plan({ files: two }))).to.equal(planDigest(plan({ files: [two[1]!, two[0]!] })));
    expect(shown).to.match(/^[0-9a-f]{64}$/);
  });

  it('changes when a file changed, the new bytes differ, the request or checkpoint differs, or the target differs', () => {
    const variants: Record<string, ChangePlan> = {
      'file edited since the preview': plan({ files: [file({ beforeSha256: 'b'.repeat(64) })] }),
      'other bytes written': plan({ files: [file({ after: 'RewriteEngine On\nPassengerStickySessions off\n' })] }),
      'file now removed': plan({ files: [file({ existsAfter: false })] }),
      'another file': plan({ files: [file(), file({ path: '/x/vhost.conf', kind: 'vhost' })] }),
      'other request': plan({ what: 'set stickySessions=on' }),
      'newer checkpoint': plan({ what: 'rollback to cp_2' }),
      'other server': plan({ server: 'second' }),
      'other domain': plan({ domain: 'healthy.demo.test' }),
    };
    for (const [why, changed] of Object.entries(variants)) {
      expect(planDigest(changed), why).to.not.equal(shown);
      expect(staleConfirmReason(changed, shown), why).to.match(/changed since its plan was shown.*nothing was written/);
    }
    expect(staleConfirmReason(plan(), shown)).to.equal(null);
    expect(staleConfirmReason(plan({ what: 'x' }), undefined), 'no digest asked (CLI)').to.equal(null);
  });
});

const entry = (id: string, actor: string, over: Partial<DomainHistoryEntry> = {}): DomainHistoryEntry => ({
  id,
  kind: 'apply',
  actor,
  status: 'verified',
  verdict: 'safe',
  createdAt: '2026-12-06T16:00:00.000Z',
  checkpointId: `cp_${id}`,
  jobId: null,
  diff: null,
  ...over,
});

describe('rollback: customers undo only their own newest change', () => {
  const admin: PanelUser = { name: 'admin', role: 'admin', domains: '*', server: '*', via: 'plesk' };
  const alice: PanelUser = { name: 'alice', role: 'customer', domains: ['multi.demo.test'], server: 'demo', via: 'plesk' };

  it("lets a customer roll back their own change while it is the newest, and refuses it after an admin's change", () => {
    const own = [entry('2', 'alice'), entry('1', 'admin')];
    expect(rollbackRefusal(alice, own, 'cp_2')).to.equal(null);
    expect(rollbackCheckpointFor(alice, own, 'cp_2')).to.equal('cp_2');

    const adminLater = [entry('3', 'admin'), ...own];
    expect(rollbackRefusal(alice, adminLater, 'cp_3')).to.match(/made by admin, not by you/);
    expect(() => rollbackCheckpointFor(alice, adminLater, 'cp_3'))
      .to.throw(AuthError)
      .with.property('status', 403);
    expect(rollbackRefusal(admin, adminLater, 'cp_3'), 'admins roll back anything').to.equal(null);
  });

  it('refuses when someone acted after the customer without writing, or the newest checkpoint is not their change', () => {
    const failedAdminAttempt = [entry('3', 'admin', { checkpointId: null, status: 'failed' }), entry('2', 'alice')];
    expect(rollbackRefusal(alice, failedAdminAttempt, 'cp_2')).to.match(/changed after your last change/);
    const verifyOnly = [entry('3', 'admin', { kind: 'verify', checkpointId: null }), entry('2', 'alice')];
    expect(rollbackRefusal(alice, verifyOnly, 'cp_2'), 'a verification changes nothing').to.equal(null);
    expect(rollbackRefusal(alice, [entry('2', 'alice')], 'cp_bulk'), 'a checkpoint no journal entry explains').to.match(
      /changed after your last change/,
    );
  });

  it('says there is nothing to roll back when nothing was ever written', () => {
    expect(() => rollbackCheckpointFor(alice, [], null)).to.throw(ValidationError, /nothing to roll back/);
    expect(() => rollbackCheckpointFor(admin, [], null)).to.throw(ValidationError, /nothing to roll back/);
  });
});

describe('access by server and domain', () => {
  const claims: Pick<TokenClaims, 'sub' | 'role' | 'domains'> = { sub: 'alice', role: 'customer', domains: ['multi.demo.test'] };

  it("gives a Plesk customer the local server's domains only; a namesake on another server is refused", () => {
    const alice = userFromClaims(claims, 'demo');
    expect(alice.server).to.equal('demo');
    expect(canSeeDomain(alice, 'multi.demo.test', 'demo')).to.equal(true);
    expect(canSeeDomain(alice, 'multi.demo.test', 'second')).to.equal(false);
    expect(serverScopeOf(alice)).to.equal('demo');
    expect(canSeeJob(alice, { id: 'j', kind: 'single', domains: ['multi.demo.test'], server: 'second' })).to.equal(false);
    expect(canSeeJob(alice, { id: 'j', kind: 'single', domains: ['multi.demo.test'], server: 'demo' })).to.equal(true);
  });

  it('a customer without a known server sees no server; admins see all', () => {
    const lost = userFromClaims(claims, undefined);
    expect(canSeeDomain(lost, 'multi.demo.test', 'demo')).to.equal(false);
    expect(serverScopeOf(lost), 'matches no server name').to.equal('');
    const admin = userFromClaims({ ...claims, sub: 'admin', role: 'admin', domains: [] }, 'demo');
    expect(admin.server).to.equal('*');
    expect(serverScopeOf(admin)).to.equal(undefined);
    expect(canSeeDomain(admin, 'multi.demo.test', 'second')).to.equal(true);
  });
});
