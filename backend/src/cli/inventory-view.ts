/**
 * What `inventory` and `show` print: a table readable at 100 columns, and the stable `--json` shapes
 * documented in README.md ("Inventory JSON"). Pure functions of an inventory plus its diagnosis.
 */
import type { Finding, Verdict } from '../diagnose/findings.js';
import type { DomainInventory, ProcessInfo, ResolvedSetting, ServerInventory } from '../plesk/inventory.js';
import { CATALOG, directiveName } from '../passenger/catalog.js';

/** The diagnosis of one domain, as the CLI needs it. */
export interface DomainDiagnosis {
  verdict: Verdict;
  findings: Finding[];
}

export interface DiagnosedServer {
  inventory: ServerInventory;
  diagnosis: (domain: string) => DomainDiagnosis;
  /** One line per server, e.g. "5 domains: 2 safe, 2 at risk, 1 broken". */
  summary: string;
}

const VERDICT_LABEL: Record<Verdict, string> = { safe: 'safe', 'at-risk': 'at risk', broken: 'broken' };

function fit(text: string, width: number): string {
  const flat = text.replace(/\s+/g, ' ');
  return flat.length <= width ? flat.padEnd(width) : `${flat.slice(0, width - 1)}…`;
}

function mainFinding(findings: readonly Finding[]): Finding | undefined {
  const order = { critical: 0, warning: 1, info: 2 } as const;
  return [...findings].sort((a, b) => order[a.severity] - order[b.severity])[0];
}

// ---------------------------------------------------------------------------------------- text

/** `inventory`: one block per server, one line per domain, never wider than `width`. */
export function renderInventoryTable(servers: readonly DiagnosedServer[], width = 100): string {
  const out: string[] = [];
  const domainW = 32;
  const verdictW = 8;
  const procW = 5;
  const findingW = Math.max(20, width - domainW - verdictW - procW - 3);
  for (const s of servers) {
    const inv = s.inventory;
    const passenger = inv.passengerVersion ? `Passenger ${inv.passengerVersion}` : 'Passenger version unknown';
    const web = [inv.webServer.apache ? 'Apache' : '', inv.webServer.nginx ? 'nginx' : ''].filter(Boolean).join(' + ') || 'no Passenger';
    out.push(fit(`${inv.server}: ${s.summary} · ${passenger} in ${web} · read ${inv.readAt} in ${inv.read.ms} ms, ${inv.read.execs} SSH exec${inv.read.execs === 1 ? '' : 's'}`, width).trimEnd());
    out.push(`${fit('DOMAIN', domainW)} ${fit('VERDICT', verdictW)} ${fit('PROCS', procW)} MAIN FINDING`);
    for (const d of inv.domains) {
      const diag = s.diagnosis(d.name);
      const main = mainFinding(diag.findings);
      const procs = d.appRoot === '' ? '-' : String(d.processes.length);
      out.push(
        `${fit(d.name, domainW)} ${fit(VERDICT_LABEL[diag.verdict], verdictW)} ${fit(procs, procW)} ${fit(main ? main.title : '-', findingW)}`.trimEnd(),
      );
    }
    for (const w of inv.read.warnings) out.push(fit(`warning: ${w}`, width).trimEnd());
    out.push('');
  }
  return out.join('\n');
}

function describeSource(s: ResolvedSetting): string {
  if (s.source === 'default') return 'default';
  const where = s.file ? `${s.file}${s.line !== undefined ? `:${s.line}` : ''}` : '';
  return where ? `${s.source} ${where}` : s.source;
}

function valueText(v: ResolvedSetting['value']): string {
  if (v === null) return '(decided at run time)';
  if (typeof v === 'boolean') return v ? 'on' : 'off';
  return String(v);
}

function processLine(p: ProcessInfo): string {
  const fields = p as unknown as Record<string, unknown>;
  const parts = [`pid ${String(fields.pid)}`];
  for (const key of ['sessions', 'processed', 'uptime', 'stickySessionId', 'lifeStatus']) {
    if (fields[key] !== undefined && fields[key] !== '') parts.push(`${key} ${String(fields[key])}`);
  }
  return parts.join(', ');
}

/** `show <domain>`: facts, every setting with its source, processes, findings with their fixes. */
export function renderDomain(server: DiagnosedServer, domain: DomainInventory, width = 100): string {
  const diag = server.diagnosis(domain.name);
  const out: string[] = [];
  out.push(`${domain.name} on ${server.inventory.server}: ${VERDICT_LABEL[diag.verdict]}`);
  out.push(`  app root      ${domain.appRoot || '(no Node.js app)'}`);
  out.push(`  startup file  ${domain.startupFile || '-'}${domain.nodeVersion ? `   Node.js ${domain.nodeVersion}` : ''}`);
  out.push(`  document root ${domain.documentRoot}`);
  out.push(`  served over   ${domain.https ? 'https (and http)' : 'plain http only'}`);
  out.push(`  Passenger in  ${domain.mode === 'apache' ? 'Apache' : 'nginx'}${domain.mode === 'apache' ? `; .htaccess overrides ${domain.htaccessOverrides ? 'allowed' : 'not allowed'}` : ''}`);
  out.push(`  Socket.IO     ${domain.socketIoPath}`);
  out.push('');
  out.push('Settings (effective value, where it comes from):');
  const nameW = 46;
  const valueW = 22;
  for (const spec of CATALOG) {
    const s = domain.effective[spec.key];
    if (!s) continue;
    if (spec.enterpriseOnly && s.source === 'default') continue;
    const name = directiveName(spec, domain.mode);
    const line = `  ${fit(name, nameW)} ${fit(valueText(s.value), valueW)} ${describeSource(s)}`;
    out.push(line.length > width ? `${line.slice(0, width - 1)}…` : line);
    const http = domain.effectiveHttp[spec.key];
    if (domain.https && http && (http.value !== s.value || http.source !== s.source)) {
      out.push(`  ${fit('  (plain http virtual host)', nameW)} ${fit(valueText(http.value), valueW)} ${describeSource(http)}`.slice(0, width));
    }
  }
  out.push('');
  out.push(`Processes (${domain.processes.length}):`);
  if (domain.processes.length === 0) out.push('  none running');
  for (const p of domain.processes) out.push(`  ${processLine(p)}`);
  out.push('');
  out.push(`Findings (${diag.findings.length}):`);
  if (diag.findings.length === 0) out.push('  none');
  for (const f of diag.findings) {
    out.push(`  [${f.severity}] ${f.title}`);
    out.push(...wrap(`evidence: ${f.evidence}`, width - 6).map((l) => `      ${l}`));
    out.push(...wrap(`fix: ${f.fix}`, width - 6).map((l) => `      ${l}`));
  }
  for (const n of domain.notes) out.push(...wrap(`note: ${n}`, width - 2).map((l) => `  ${l}`));
  return out.join('\n');
}

function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let current = '';
  for (const word of text.split(/\s+/)) {
    if (current && current.length + 1 + word.length > width) {
      lines.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  if (current) lines.push(current);
  return lines;
}

// ---------------------------------------------------------------------------------------- JSON

export function settingJson(key: string, mode: DomainInventory['mode'], s: ResolvedSetting): Record<string, unknown> {
  const spec = CATALOG.find((c) => c.key === key);
  return {
    key,
    name: spec ? directiveName(spec, mode) : key,
    value: s.value,
    source: s.source,
    file: s.file ?? null,
    line: s.line ?? null,
  };
}

function findingJson(f: Finding): Record<string, unknown> {
  return { id: f.id, severity: f.severity, title: f.title, evidence: f.evidence, fix: f.fix };
}

/** `inventory --json`: see README "Inventory JSON" for the keys. */
export function inventoryJson(servers: readonly DiagnosedServer[]): Record<string, unknown> {
  return {
    servers: servers.map((s) => {
      const inv = s.inventory;
      const counts = { safe: 0, 'at-risk': 0, broken: 0 };
      const domains = inv.domains.map((d) => {
        const diag = s.diagnosis(d.name);
        counts[diag.verdict] += 1;
        const main = mainFinding(diag.findings);
        return {
          name: d.name,
          verdict: diag.verdict,
          mode: d.mode,
          https: d.https,
          appRoot: d.appRoot,
          processes: d.processes.length,
          socketIoPath: d.socketIoPath,
          mainFinding: main ? { id: main.id, severity: main.severity, title: main.title } : null,
          findings: diag.findings.map((f) => f.id),
        };
      });
      return {
        server: inv.server,
        readAt: inv.readAt,
        passengerVersion: inv.passengerVersion,
        webServer: inv.webServer,
        read: inv.read,
        summary: { text: s.summary, ...counts },
        global: inv.global.map((g) => ({ key: g.key, name: g.name, value: g.value, source: g.source, file: g.file ?? null, line: g.line ?? null })),
        domains,
        processesUnmatched: inv.processesUnmatched.length,
      };
    }),
  };
}

/** `show <domain> --json`. */
export function domainJson(server: DiagnosedServer, d: DomainInventory): Record<string, unknown> {
  const diag = server.diagnosis(d.name);
  return {
    server: server.inventory.server,
    readAt: server.inventory.readAt,
    domain: {
      name: d.name,
      verdict: diag.verdict,
      appRoot: d.appRoot,
      documentRoot: d.documentRoot,
      startupFile: d.startupFile,
      appType: d.appType ?? null,
      nodeVersion: d.nodeVersion ?? null,
      mode: d.mode,
      https: d.https,
      httpOnly: d.httpOnly,
      htaccessOverrides: d.htaccessOverrides,
      socketIoPath: d.socketIoPath,
      settings: CATALOG.filter((spec) => d.effective[spec.key]).map((spec) => settingJson(spec.key, d.mode, d.effective[spec.key]!)),
      settingsHttp: d.https
        ? CATALOG.filter((spec) => d.effectiveHttp[spec.key]).map((spec) => settingJson(spec.key, d.mode, d.effectiveHttp[spec.key]!))
        : null,
      files: d.files.map((f) => ({ kind: f.kind, path: f.path, exists: f.exists, sha256: f.sha256 || null })),
      processes: d.processes,
      findings: diag.findings.map(findingJson),
      notes: d.notes,
    },
  };
}
