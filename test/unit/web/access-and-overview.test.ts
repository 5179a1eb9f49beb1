import { expect } from 'chai';
import { buildOverviewModel } from '../../../backend/src/web/overview-model.js';
import type { ServerOverview } from '../../../backend/src/web/services.js';
import { canSeeDomain, canSeeJob, type PanelUser } from '../../../backend/src/web/users.js';
import { safeNextPath } from '../../../backend/src/web/http-context.js';

const admin: PanelUser = { name: 'admin', role: 'admin', domains: '*', via: 'plesk' };
const alice: PanelUser = { name: 'alice', role: 'customer', domains: ['multi.demo.test', 'idle.demo.test'], server: 'demo', via: 'plesk' };
const reseller: PanelUser = { name: 'res', role: 'reseller', domains: ['healthy.demo.test'], server: 'demo', via: 'plesk' };

// Shaped like the demo host's domains as the overview port delivers them.
const servers: ServerOverview[] = [
  {
    server: 'demo',
    readAt: '2026-12-04T20:00:00.000Z',
    domains: [
      { name: 'healthy.demo.test', verdict: 'safe', mainFinding: null, processCount: 1, lastRestart: '2026-12-04T19:00:00.000Z' },
      {
        name: 'multi.demo.test',
        verdict: 'broken',
        mainFinding: 'Several processes, no sticky sessions',
        processCount: 2,
        lastRestart: null,
      },
      { name: 'idle.demo.test', verdict: 'at-risk', mainFinding: 'Idle processes are shut down', processCount: 0, lastRestart: null },
      {
        name: 'plainhttp.demo.test',
        verdict: 'at-risk',
        mainFinding: 'Sticky cookie is Secure on plain http',
        processCount: 2,
        lastRestart: null,
      },
    ],
  },
  { server: 'second', readAt: null, error: 'ssh: connection refused', domains: [] },
];

describe('web access rules', () => {
  it('admins see every domain; others only their own, compared case-insensitively', () => {
    expect(canSeeDomain(admin, 'anything.test')).to.equal(true);
    expect(canSeeDomain(alice, 'MULTI.demo.test')).to.equal(true);
    expect(canSeeDomain(alice, 'healthy.demo.test')).to.equal(false);
    expect(canSeeDomain({ ...alice, domains: '*' }, 'healthy.demo.test'), "'*' counts only for admins").to.equal(false);
  });

  it('bulk and server-wide jobs are admin-only; single jobs follow the domain', () => {
    expect(canSeeJob(admin, { id: 'b', kind: 'bulk', domains: ['multi.demo.test'] })).to.equal(true);
    expect(canSeeJob(alice, { id: 'b', kind: 'bulk', domains: ['multi.demo.test'] })).to.equal(false);
    expect(canSeeJob(alice, { id: 's', kind: 'server', domains: [] })).to.equal(false);
    expect(canSeeJob(alice, { id: 'j', kind: 'single', domains: ['multi.demo.test'], server: 'demo' })).to.equal(true);
    expect(canSeeJob(alice, { id: 'j', kind: 'single', domains: ['healthy.demo.test'], server: 'demo' })).to.equal(false);
    expect(canSeeJob(reseller, { id: 'j', kind: 'single', domains: [] })).to.equal(false);
  });

  it('only local paths survive as the place to go after login', () => {
    expect(safeNextPath('/domains/multi.demo.test')).to.equal('/domains/multi.demo.test');
    for (const bad of ['//evil.example/', '/\\evil.example', 'https://evil.example/', 'domains', undefined, '/a\nb'])
      expect(safeNextPath(bad)).to.equal('/');
  });
});

describe('overview view model', () => {
  it('shows a customer only their domains, worst first, without bulk or refresh', () => {
    const model = buildOverviewModel(alice, servers, {}, '/base');
    expect(model.rows.map((r) => r.name)).to.deep.equal(['multi.demo.test', 'idle.demo.test']);
    expect(model.rows[0]).to.include({ verdictLabel: 'Broken', href: '/base/domains/multi.demo.test', server: 'demo' });
    expect(model).to.include({ canBulk: false, canRefresh: false, total: 2, title: 'Your Node.js domains' });
    expect(model.servers.map((s) => s.name)).to.deep.equal(['demo']);
  });

  it('filters by search, verdict and server and sorts on request; unknown values fall back', () => {
    expect(buildOverviewModel(admin, servers, { q: 'STICKY' }, '').rows.map((r) => r.name)).to.deep.equal([
      'multi.demo.test',
      'plainhttp.demo.test',
    ]);
    expect(buildOverviewModel(admin, servers, { verdict: 'at-risk', sort: 'domain' }, '').rows.map((r) => r.name)).to.deep.equal([
      'idle.demo.test',
      'plainhttp.demo.test',
    ]);
    expect(buildOverviewModel(admin, servers, { server: 'second' }, '').rows).to.have.length(0);
    const byProcesses = buildOverviewModel(admin, servers, { sort: 'processes', verdict: 'nonsense' }, '');
    expect(byProcesses.rows.map((r) => r.processCount)).to.deep.equal([2, 2, 1, 0]);
    expect(byProcesses.query.verdict).to.equal('');
  });

  it('counts verdicts, reports the oldest read time and server errors to admins', () => {
    const model = buildOverviewModel(admin, servers, {}, '');
    expect(model.counts).to.deep.equal({ safe: 1, atRisk: 2, broken: 1, unknown: 0 });
    expect(model.readAt).to.equal('2026-12-04T20:00:00.000Z');
    expect(model.servers.find((s) => s.name === 'second')?.error).to.equal('ssh: connection refused');
    expect(model).to.include({ canBulk: true, canRefresh: true, connected: true });
    expect(buildOverviewModel(admin, null, {}, '').connected).to.equal(false);
  });
});
