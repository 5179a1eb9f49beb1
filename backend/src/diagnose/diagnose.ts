/** Diagnosis of one domain and of a whole server: findings, verdicts and a one-line summary. */
import { lookupDirective } from '../passenger/catalog.js';
import { type DomainFacts, type ServerFacts, type ServerSettingFact, describeSetting, describeSource, numberOf } from './facts.js';
import { type Finding, type Verdict, sortFindings, verdictOf } from './findings.js';
import { DOMAIN_RULES, resolve } from './rules.js';

export interface DomainDiagnosis {
  domain: string;
  verdict: Verdict;
  /** Most severe first; the first one is the domain's headline. */
  findings: Finding[];
}

export interface ServerDiagnosis {
  server: string;
  /** The worst of the domains' verdicts and the server-wide findings. */
  verdict: Verdict;
  domains: DomainDiagnosis[];
  /** Findings about the server-wide config, not about one domain. */
  findings: Finding[];
  counts: Record<Verdict, number>;
  /** "5 domains: 1 safe, 3 at risk, 1 broken" (plus server-wide problems when there are any). */
  summary: string;
}

export function diagnoseDomain(facts: DomainFacts, global: readonly ServerSettingFact[] = []): DomainDiagnosis {
  const findings = sortFindings(DOMAIN_RULES.flatMap((rule) => rule({ facts, global })));
  return { domain: facts.name, verdict: verdictOf(findings), findings };
}

export function diagnoseServer(server: ServerFacts): ServerDiagnosis {
  const domains = server.domains.map((d) => diagnoseDomain(d, server.global));
  const findings = sortFindings(serverFindings(server));
  const counts: Record<Verdict, number> = { safe: 0, 'at-risk': 0, broken: 0 };
  for (const d of domains) counts[d.verdict] += 1;
  const verdict = worst([...domains.map((d) => d.verdict), verdictOf(findings)]);
  const n = domains.length;
  let summary = `${n} domain${n === 1 ? '' : 's'}: ${counts.safe} safe, ${counts['at-risk']} at risk, ${counts.broken} broken`;
  const serious = findings.filter((f) => f.severity !== 'info');
  if (serious.length > 0) summary += `; server-wide: ${serious.map((f) => f.title.toLowerCase()).join(', ')}`;
  return { server: server.server, verdict, domains, findings, counts, summary };
}

function worst(verdicts: readonly Verdict[]): Verdict {
  if (verdicts.includes('broken')) return 'broken';
  if (verdicts.includes('at-risk')) return 'at-risk';
  return 'safe';
}

function serverFindings(server: ServerFacts): Finding[] {
  const out: Finding[] = [];
  const enterprise = server.global.filter((g) => lookupDirective(g.key)?.enterpriseOnly);
  if (enterprise.length > 0) {
    out.push({
      id: 'enterprise-directive-server',
      severity: 'critical',
      title: 'Passenger Enterprise directive in the server config',
      evidence: `${enterprise.map((g) => `${g.key} (${describeSource(g)})`).join('; ')}.`,
      fix: "Remove it: open source Passenger rejects it and the web server's config test fails.",
    });
  }
  const apps = server.domains.filter((d) => d.appRoot !== '' && d.passengerEnabled !== false);
  const pool = server.global.find((g) => g.key === 'passenger_max_pool_size');
  const poolSize = (pool ? numberOf(pool) : null) ?? (lookupDirective('passenger_max_pool_size')!.default as number);
  const wanted = apps.reduce((sum, d) => sum + (numberOf(resolve({ facts: d, global: server.global }, 'passenger_min_instances')) ?? 1), 0);
  if (wanted > poolSize) {
    const mode = apps[0]?.mode ?? 'apache';
    out.push({
      id: 'pool-too-small',
      severity: 'warning',
      title: 'The process pool is smaller than the apps want',
      evidence:
        `${apps.length} apps want at least ${wanted} processes together; ` +
        `${describeSetting('passenger_max_pool_size', pool ?? { value: poolSize, source: 'default' }, mode)}. ` +
        'Passenger then stops processes of one app to start another, dropping their Socket.IO sessions.',
      fix: `Raise PassengerMaxPoolSize to at least ${wanted} in the server config (admin), if memory allows.`,
    });
  }
  return out;
}
