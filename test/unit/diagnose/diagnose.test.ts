import { expect } from 'chai';
import { diagnoseDomain, diagnoseServer } from '../../../backend/src/diagnose/diagnose.js';
import type { DomainFacts, FactSetting, ServerSettingFact } from '../../../backend/src/diagnose/facts.js';
import { verdictOf } from '../../../backend/src/diagnose/findings.js';
import { parseApacheConfig } from '../../../backend/src/passenger/apache-parser.js';
import { lookupDirective } from '../../../backend/src/passenger/catalog.js';
import { parseNginxConfig } from '../../../backend/src/passenger/nginx-parser.js';
import { parsePassengerStatus } from '../../../backend/src/passenger/status-xml.js';
import { parseValue } from '../../../backend/src/passenger/value-check.js';
import { readFixture } from '../passenger/fixture-path.js';

const hostStatus = parsePassengerStatus(readFixture('passenger-status/test-host-demo.xml'));
/** The test host's server-wide config: PassengerPoolIdleTime 6, PassengerMaxPoolSize 40. */
const hostGlobal: ServerSettingFact[] = parseApacheConfig(readFixture('config/host-apache-global-passenger.conf'), {
  file: '/etc/apache2/conf-available/pp-testhost.conf',
})
  .directives.filter((d) => d.key)
  .map((d) => ({
    key: d.key!,
    value: parseValue(lookupDirective(d.key!)!, d.args[0]!).value,
    source: 'server',
    file: d.file!,
    line: d.line,
  }));

/**
 * Facts for a demo domain from its captured files and the captured passenger-status: the last
 * directive of each key wins (enough for these flat files; the real resolution is the inventory's).
 */
function demoFacts(
  name: string,
  files: Record<string, string>,
  opts: { https: boolean; mode?: 'apache' | 'nginx'; processes?: number },
): DomainFacts {
  const appRoot = `/var/www/vhosts/${name}/httpdocs`;
  const effective: Record<string, FactSetting> = {};
  const directives = Object.entries(files).flatMap(([path, fixture]) => {
    const text = readFixture(fixture);
    const parsed = path.endsWith('nginx.conf') ? parseNginxConfig(text, { file: path }) : parseApacheConfig(text, { file: path });
    return parsed.directives;
  });
  for (const d of directives) {
    const spec = d.key ? lookupDirective(d.key) : undefined;
    if (!spec || spec.enterpriseOnly) continue;
    effective[spec.key] = {
      value: parseValue(spec, d.args.join(' ')).value,
      source: d.file!.endsWith('.htaccess') ? 'htaccess' : 'domain',
      file: d.file!,
      line: d.line,
    };
  }
  const processes = hostStatus.groups.find((g) => g.appRoot === appRoot)?.processes ?? [];
  return {
    name,
    appRoot,
    mode: opts.mode ?? 'apache',
    https: opts.https,
    httpOnly: !opts.https,
    effective,
    processes: opts.processes === undefined ? processes : processes.slice(0, opts.processes),
    directives,
  };
}

const conf = (d: string, f: string) => `/var/www/vhosts/system/${d}/conf/${f}`;
const ids = (facts: DomainFacts) => diagnoseDomain(facts, hostGlobal).findings.map((f) => f.id);

describe('diagnosis of the demo domains (captured files and passenger-status)', () => {
  it('healthy: one process, defaults: safe, with the Apache WebSocket note only', () => {
    const facts = demoFacts('healthy.demo.test', {}, { https: true });
    expect(facts.processes).to.have.length(1);
    const d = diagnoseDomain(facts, hostGlobal);
    expect(d.verdict).to.equal('safe');
    expect(d.findings.map((f) => [f.id, f.severity])).to.deep.equal([['websocket-unavailable-apache', 'info']]);
  });

  it('multi: min instances 2 without sticky sessions is at risk, with the evidence and the fix', () => {
    const facts = demoFacts(
      'multi.demo.test',
      { [conf('multi.demo.test', 'vhost_ssl.conf')]: 'config/host-multi-vhost_ssl.conf' },
      { https: true },
    );
    const d = diagnoseDomain(facts, hostGlobal);
    expect(d.verdict).to.equal('at-risk');
    const [headline] = d.findings;
    expect(headline!.id).to.equal('several-processes-no-sticky');
    expect(headline!.evidence).to.contain(
      'PassengerMinInstances 2 (domain config /var/www/vhosts/system/multi.demo.test/conf/vhost_ssl.conf:2)',
    );
    expect(headline!.evidence).to.contain("PassengerStickySessions off (Passenger's default)");
    expect(headline!.evidence).to.match(/2 live processes \(pid \d+, \d+\)/);
    expect(headline!.fix).to.contain('PassengerStickySessions on');
  });

  it('multi with sticky sessions from .htaccess is safe', () => {
    const facts = demoFacts(
      'multi.demo.test',
      {
        [conf('multi.demo.test', 'vhost_ssl.conf')]: 'config/host-multi-vhost_ssl.conf',
        '/var/www/vhosts/multi.demo.test/httpdocs/public/.htaccess': 'config/htaccess-with-rewrite.htaccess',
      },
      { https: true },
    );
    expect(facts.effective.passenger_sticky_sessions!.source).to.equal('htaccess');
    expect(diagnoseDomain(facts, hostGlobal).verdict).to.equal('safe');
  });

  it('"several processes" also means min instances > 1 with no live process, or live processes > 1 alone', () => {
    const idleNow = demoFacts(
      'multi.demo.test',
      { [conf('multi.demo.test', 'vhost.conf')]: 'config/host-multi-vhost.conf' },
      { https: true, processes: 0 },
    );
    expect(ids(idleNow)).to.include('several-processes-no-sticky');
    const spawnedMore = demoFacts('multi.demo.test', {}, { https: true });
    expect(spawnedMore.processes.length).to.be.above(1);
    expect(ids(spawnedMore)).to.include('several-processes-no-sticky');
    expect(ids(demoFacts('multi.demo.test', {}, { https: true, processes: 1 }))).to.not.include('several-processes-no-sticky');
  });

  it('idle: min instances 0 with the server-wide idle time of 6 s is at risk; without idle cleaning it is not', () => {
    const facts = demoFacts(
      'idle.demo.test',
      { [conf('idle.demo.test', 'vhost_ssl.conf')]: 'config/host-idle-vhost_ssl.conf' },
      { https: true },
    );
    const d = diagnoseDomain(facts, hostGlobal);
    expect(d.verdict).to.equal('at-risk');
    const f = d.findings.find((x) => x.id === 'min-instances-zero')!;
    expect(f.evidence).to.contain('PassengerPoolIdleTime 6 (server config /etc/apache2/conf-available/pp-testhost.conf:5)');
    const noCleaning = hostGlobal.map((g) => (g.key === 'passenger_pool_idle_time' ? { ...g, value: 0 } : g));
    expect(diagnoseDomain(facts, noCleaning).findings.map((x) => x.id)).to.not.include('min-instances-zero');
    // With no server setting, Passenger's default of 300 s still cleans idle processes.
    expect(diagnoseDomain(facts, []).findings.map((x) => x.id)).to.include('min-instances-zero');
  });

  it('plainhttp: several processes, and even with sticky sessions on the Secure cookie is dropped', () => {
    const files = { [conf('plainhttp.demo.test', 'vhost.conf')]: 'config/host-plainhttp-vhost.conf' };
    const facts = demoFacts('plainhttp.demo.test', files, { https: false });
    expect(ids(facts)).to.include.members(['several-processes-no-sticky', 'sticky-cookie-secure-on-http']);
    facts.effective.passenger_sticky_sessions = { value: true, source: 'htaccess', file: '/x/.htaccess', line: 2 };
    const d = diagnoseDomain(facts, hostGlobal);
    expect(d.verdict).to.equal('at-risk');
    expect(d.findings[0]!.id).to.equal('sticky-cookie-secure-on-http');
    expect(d.findings[0]!.evidence).to.contain('SameSite=Lax; Secure;');
    expect(d.findings[0]!.fix).to.contain('no effect in .htaccess');
    facts.effective.passenger_sticky_sessions_cookie_attributes = {
      value: 'SameSite=Lax',
      source: 'domain',
      file: '/x/vhost.conf',
      line: 3,
    };
    expect(diagnoseDomain(facts, hostGlobal).verdict).to.equal('safe');
  });

  it('custompath: unrelated directives and a commented-out Passenger line change nothing', () => {
    const facts = demoFacts(
      'custompath.demo.test',
      { [conf('custompath.demo.test', 'vhost.conf')]: 'config/host-custompath-vhost.conf' },
      { https: true },
    );
    expect(diagnoseDomain(facts, hostGlobal).verdict).to.equal('safe');
  });
});

describe('diagnosis rules on odd configurations', () => {
  const base = (over: Partial<DomainFacts> = {}): DomainFacts => ({
    name: 'odd.test',
    appRoot: '/var/www/vhosts/odd.test/httpdocs',
    mode: 'apache',
    https: true,
    httpOnly: false,
    effective: {},
    processes: [{ pid: 10 }],
    directives: [],
    ...over,
  });
  const set = (value: FactSetting['value']): FactSetting => ({ value, source: 'domain', file: '/v/vhost.conf', line: 1 });

  it('flags max_requests > 0 and a forced concurrency > 0, not their defaults', () => {
    expect(ids(base({ effective: { passenger_max_requests: set(100) } }))).to.include('max-requests-recycles');
    expect(ids(base({ effective: { passenger_max_requests: set(0) } }))).to.not.include('max-requests-recycles');
    expect(ids(base({ effective: { passenger_force_max_concurrent_requests_per_process: set(4) } }))).to.include('force-max-concurrent');
    expect(ids(base({ effective: { passenger_force_max_concurrent_requests_per_process: set(-1) } }))).to.not.include(
      'force-max-concurrent',
    );
  });

  it('marks Enterprise-only directives as broken with where they are', () => {
    const parsed = parseApacheConfig(readFixture('config/nested-apache.conf'), { file: '/var/www/vhosts/system/odd.test/conf/vhost.conf' });
    const d = diagnoseDomain(base({ directives: parsed.directives }), hostGlobal);
    expect(d.verdict).to.equal('broken');
    const f = d.findings.find((x) => x.id === 'enterprise-directive')!;
    expect(f.severity).to.equal('critical');
    expect(f.evidence).to.contain('PassengerMaxInstances 4 at /var/www/vhosts/system/odd.test/conf/vhost.conf:22');
    // PassengerPoolIdleTime inside the vhost: Apache only warns, but it acts server-wide.
    const s = d.findings.find((x) => x.id === 'server-only-directive-per-domain')!;
    expect(s.severity).to.equal('warning');
    expect(s.evidence).to.contain('PassengerPoolIdleTime 30 at');
    expect(d.findings[0]!.severity).to.equal('critical');
  });

  it('knows what breaks in .htaccess and in nginx', () => {
    const htaccess = parseApacheConfig(
      'PassengerMinInstances 2\nPassengerPoolIdleTime 5\nPassengerStickySessionsCookieAttributes "SameSite=Lax"\n',
      {
        file: '/var/www/vhosts/odd.test/httpdocs/public/.htaccess',
      },
    );
    const d = diagnoseDomain(base({ directives: htaccess.directives }));
    const byId = Object.fromEntries(d.findings.map((f) => [f.id, f]));
    expect(byId['directive-not-allowed-here']!.severity).to.equal('critical');
    expect(byId['directive-not-allowed-here']!.fix).to.contain('500');
    expect(byId['server-only-directive-per-domain']!.severity).to.equal('critical');
    expect(byId['cookie-attributes-in-htaccess']!.severity).to.equal('warning');

    const nginx = parseNginxConfig(readFixture('config/nested-nginx.conf'), {
      file: '/var/www/vhosts/system/odd.test/conf/vhost_nginx.conf',
    });
    const n = diagnoseDomain(base({ mode: 'nginx', directives: nginx.directives, effective: { passenger_sticky_sessions: set(true) } }));
    expect(n.findings.map((f) => [f.id, f.severity])).to.deep.equal([['server-only-directive-per-domain', 'critical']]);
    expect(n.verdict).to.equal('broken');

    const apacheOnly = parseApacheConfig('PassengerAbortWebsocketsOnProcessShutdown on\n', { file: '/v/vhost.conf' });
    expect(ids(base({ directives: apacheOnly.directives }))).to.include('directive-unknown-to-server');
  });

  it('checks the plain http side of a site that serves both', () => {
    const facts = base({
      processes: [{ pid: 1 }, { pid: 2 }],
      effective: { passenger_sticky_sessions: set(true) },
      effectiveHttp: {},
    });
    const d = diagnoseDomain(facts);
    const f = d.findings.find((x) => x.id === 'several-processes-no-sticky')!;
    expect(f.evidence).to.contain('(on plain http)');
    facts.effectiveHttp = { passenger_sticky_sessions: set(true) };
    const both = diagnoseDomain(facts);
    expect(both.verdict).to.equal('safe');
    expect(both.findings.map((x) => x.id)).to.include('sticky-cookie-secure-http-visitors');
  });

  it('has nothing to say about a domain without a Node.js app, except broken directives', () => {
    expect(diagnoseDomain(base({ appRoot: '', processes: [] })).findings).to.deep.equal([]);
    expect(diagnoseDomain(base({ passengerEnabled: false, effective: { passenger_min_instances: set(0) } })).verdict).to.equal('safe');
  });
});

describe('server diagnosis', () => {
  it('summarises the demo server and counts verdicts', () => {
    const domains = [
      demoFacts('healthy.demo.test', {}, { https: true }),
      demoFacts('multi.demo.test', { [conf('multi.demo.test', 'vhost_ssl.conf')]: 'config/host-multi-vhost_ssl.conf' }, { https: true }),
      demoFacts('idle.demo.test', { [conf('idle.demo.test', 'vhost_ssl.conf')]: 'config/host-idle-vhost_ssl.conf' }, { https: true }),
    ];
    const s = diagnoseServer({ server: 'demo', global: hostGlobal, domains });
    expect(s.counts).to.deep.equal({ safe: 1, 'at-risk': 2, broken: 0 });
    expect(s.summary).to.equal('3 domains: 1 safe, 2 at risk, 0 broken');
    expect(s.verdict).to.equal('at-risk');
    expect(s.domains.map((d) => d.domain)).to.deep.equal(['healthy.demo.test', 'multi.demo.test', 'idle.demo.test']);
    expect(s.findings).to.deep.equal([]);
  });

  it("warns when the pool cannot hold every app's minimum, and flags Enterprise directives server-wide", () => {
    const domains = [
      demoFacts('multi.demo.test', { [conf('multi.demo.test', 'vhost.conf')]: 'config/host-multi-vhost.conf' }, { https: true }),
    ];
    const small: ServerSettingFact[] = [
      { key: 'passenger_max_pool_size', value: 1, source: 'server', file: '/etc/apache2/x.conf', line: 3 },
      { key: 'passenger_max_instances', value: 2, source: 'server', file: '/etc/apache2/x.conf', line: 4 },
    ];
    const s = diagnoseServer({ server: 'demo', global: small, domains });
    expect(s.findings.map((f) => f.id)).to.deep.equal(['enterprise-directive-server', 'pool-too-small']);
    expect(s.findings[1]!.evidence).to.contain('PassengerMaxPoolSize 1 (server config /etc/apache2/x.conf:3)');
    expect(s.verdict).to.equal('broken');
    expect(s.summary).to.contain('server-wide: passenger enterprise directive');
  });

  it('derives a verdict from the worst severity', () => {
    expect(verdictOf([])).to.equal('safe');
    expect(verdictOf([{ id: 'a', severity: 'info', title: '', evidence: '', fix: '' }])).to.equal('safe');
    expect(verdictOf([{ id: 'a', severity: 'warning', title: '', evidence: '', fix: '' }])).to.equal('at-risk');
  });
});
