/**
 * The socketio-safe profile, the plan built from it and the server-wide recommendations, driven by
 * the inventory stream captured from the test host (test/fixtures/plesk/inventory-demo.out).
 */
import { expect } from 'chai';
import { type FileKind, type RequestedSetting, planFromFiles } from '../../backend/src/apply/plan.js';
import { ValidationError } from '../../backend/src/errors.js';
import type { DirectiveKey } from '../../backend/src/passenger/catalog.js';
import { removeManagedBlock } from '../../backend/src/passenger/managed-block.js';
import type { DomainInventory, ServerInventory } from '../../backend/src/plesk/inventory.js';
import { serverRecommendations } from '../../backend/src/profile/server-recommendations.js';
import { socketioSafeProfile } from '../../backend/src/profile/socketio-safe.js';
import { demoInventory } from '../support/demo-inventory.js';

const inventory: ServerInventory = demoInventory();
const domain = (name: string): DomainInventory => inventory.domains.find((d) => d.name === name)!;

/** The files as the inventory read them, in the shape the plan reads them over SSH. */
function currentFiles(d: DomainInventory) {
  const map = new Map<FileKind, { path: string; text: string | null; sha256: string; encoding: 'utf8' | 'latin1' }>();
  for (const f of d.files)
    map.set(f.kind, { path: f.path, text: f.exists ? f.content : null, sha256: f.exists ? f.sha256 : 'absent', encoding: 'utf8' });
  if (!map.has('htaccess')) map.set('htaccess', { path: `${d.documentRoot}/.htaccess`, text: null, sha256: 'absent', encoding: 'utf8' });
  return map;
}

function plan(name: string, settings: RequestedSetting[]) {
  const d = domain(name);
  return planFromFiles(inventory, d, currentFiles(d), settings, { what: 'test' });
}

describe('profile/socketio-safe and apply/plan (fixtures from the test host)', () => {
  it('multi: only sticky sessions, placed in .htaccess: no reload, everything outside the block unchanged', () => {
    const profile = socketioSafeProfile(domain('multi.demo.test'));
    expect(profile.settings.map((s) => [s.key, s.value])).to.deep.equal([['passenger_sticky_sessions', true]]);
    const p = plan('multi.demo.test', profile.settings);
    expect(p.files.map((f) => f.kind)).to.deep.equal(['htaccess']);
    expect(p.reloadNeeded).to.equal(false);
    expect(p.reloadImpact).to.equal(null);
    const f = p.files[0]!;
    expect(f.after).to.contain('PassengerStickySessions on');
    expect(removeManagedBlock(f.after)).to.equal(f.before);
    expect(f.diff).to.contain('+PassengerStickySessions on');
  });

  it('idle: min instances 1 in vhost.conf and vhost_ssl.conf (after the 0 outside the block), reload needed', () => {
    const profile = socketioSafeProfile(domain('idle.demo.test'));
    expect(profile.settings.map((s) => s.key)).to.include('passenger_min_instances');
    const p = plan('idle.demo.test', profile.settings);
    const vhosts = p.files.filter((f) => f.kind === 'vhost' || f.kind === 'vhost_ssl');
    expect(vhosts).to.have.length(2);
    for (const f of vhosts) {
      expect(f.after.indexOf('PassengerMinInstances 1')).to.be.greaterThan(f.after.indexOf('PassengerMinInstances 0'));
      expect(f.needsRegenerate).to.equal(false);
    }
    expect(p.reloadNeeded).to.equal(true);
    expect(p.reloadImpact?.webServer).to.equal('apache');
  });

  it('plainhttp: cookie attributes without Secure in vhost.conf only, and an https recommendation', () => {
    const profile = socketioSafeProfile(domain('plainhttp.demo.test'));
    const attrs = profile.settings.find((s) => s.key === 'passenger_sticky_sessions_cookie_attributes');
    expect(attrs?.value).to.equal('SameSite=Lax');
    expect(profile.findings.map((f) => f.id)).to.deep.equal(['profile-recommend-https']);
    const p = plan('plainhttp.demo.test', profile.settings);
    expect(p.files.map((f) => f.kind).sort()).to.deep.equal(['htaccess', 'vhost']);
    const vhost = p.files.find((f) => f.kind === 'vhost')!;
    expect(vhost.after).to.match(/PassengerStickySessionsCookieAttributes SameSite=Lax\n/);
    expect(vhost.after).to.not.contain('Secure');
  });

  it('custompath: a CRLF vhost.conf keeps every byte outside the block and the block uses CRLF too', () => {
    const p = plan('custompath.demo.test', [{ key: 'passenger_max_requests', value: '0' }]);
    const vhost = p.files.find((f) => f.kind === 'vhost')!;
    expect(vhost.before).to.contain('\r\n');
    expect(removeManagedBlock(vhost.after)).to.equal(vhost.before);
    expect(vhost.after).to.contain('PassengerMaxRequests 0\r\n');
    // Applying the same request again to the result changes nothing.
    const d = domain('custompath.demo.test');
    const again = currentFiles(d);
    for (const f of p.files) again.set(f.kind, { path: f.path, text: f.after, sha256: 'x', encoding: 'utf8' });
    expect(planFromFiles(inventory, d, again, [{ key: 'passenger_max_requests', value: '0' }], { what: 'test' }).nothingToDo).to.equal(
      true,
    );
    // And removing our line takes the block out again, back to the exact original.
    const removed = planFromFiles(inventory, d, again, [{ key: 'passenger_max_requests', value: null }], { what: 'test' });
    expect(removed.files.find((f) => f.kind === 'vhost')!.after).to.equal(vhost.before);
  });

  it('refuses Enterprise-only, server-only, identity and break-out values before any file is planned', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['passenger_max_instances', '2', /Enterprise/],
      ['PassengerPoolIdleTime', '600', /whole server/],
      ['passenger_app_root', '/tmp', /identity/],
      ['passenger_min_instances', '1\nInclude /etc/shadow', /line break|whole number/],
      ['passenger_sticky_sessions_cookie_attributes', 'SameSite=Lax"; Include x', /specially/],
      ['no_such_directive', '1', /Unknown directive/],
    ];
    // Keys arrive typed, but the planner still refuses one a caller forged (e.g. from a hand-made request).
    for (const [key, value, message] of cases) {
      expect(() => plan('multi.demo.test', [{ key: key as DirectiveKey, value }]), key).to.throw(ValidationError, message);
    }
  });

  it('the server-wide action recommends a longer pool idle time and states its server-wide effect', () => {
    const server = serverRecommendations(inventory);
    expect(server.adminOnly).to.equal(true);
    expect(server.recommendations.map((r) => [r.name, r.current, r.recommended])).to.deep.equal([['PassengerPoolIdleTime', 6, 300]]);
    expect(server.effect.summary).to.match(/acts on all 5 domains/);
  });
});
