/**
 * What `inventory` and `show` print: a table readable at 100 columns, and the stable `--json` shapes
 * documented in README.md ("Inventory JSON"). Pure functions of an inventory plus its diagnosis.
 */
import type { ServerDiagnosis } from '../diagnose/diagnose.js';
import type { Finding, Verdict } from '../diagnose/findings.js';
import type { DomainInventory, ProcessInfo, ResolvedSetting, ServerInventory } from '../plesk/inventory.js';
import { pleskLayout } from '../plesk/layout.js';
import { CATALOG, directiveName } from '../passenger/catalog.js';
import { type Column, flattenControls, formatTable } from './output.js';

/** The diagnosis of one domain, as the CLI needs it. */
export interface DomainVerdict {
  verdict: Verdict;
  findings: Finding[];
}

export interface DiagnosedServer {
  inventory: ServerInventory;
  diagnosis: (domain: string) => DomainVerdict;
  /** One line per server, e.g. "5 domains: 2 safe, 2 at risk, 1 broken". */
  summary: string;
}

/** Pairs an inventory with its diagnosis for the views (a domain diagnose did not cover counts as safe, no findings). */
export function diagnosedServer(inventory: ServerInventory, diagnosis: ServerDiagnosis): DiagnosedServer {
  const byName = new Map(diagnosis.domains.map((d) => [d.domain, d]));
  return {
    inventory,
    diagnosis: (name) => byName.get(name) ?? { verdict: 'safe', findings: [] },
    summary: diagnosis.summary,
  };
}

const VERDICT_LABEL: Record<Verdict, string> = { safe: 'safe', 'at-risk': 'at risk', broken: 'broken' };

function fitWidth(text: string, width: number): string {
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
  for (const s of servers) {
    const inv = s.inventory;
    const passenger = inv.passengerVersion ? `Passenger ${inv.passengerVersion}` : 'Passenger version unknown';
    const web = [inv.webServer.apache ? 'Apache' : '', inv.webServer.nginx ? 'nginx' : ''].filter(Boolean).join(' + ') || 'no Passenger';
    const execs = `${inv.read.execs} SSH exec${inv.read.execs === 1 ? '' : 's'}`;
    out.push(fitWidth(flattenControls(`${inv.server}: ${s.summary}`), width).trimEnd());
    out.push(fitWidth(`  ${passenger} in ${web}; read ${inv.readAt} in ${inv.read.ms} ms with ${execs}`, width).trimEnd());
    const columns: Column<DomainInventory>[] = [
      { header: 'DOMAIN', value: (d) => d.name, minWidth: 20 },
      { header: 'VERDICT', value: (d) => VERDICT_LABEL[s.diagnosis(d.name).verdict], minWidth: 7 },
      { header: 'PROCS', value: (d) => (d.appRoot === '' ? '-' : String(d.processes.length)), align: 'right', minWidth: 5 },
      { header: 'MAIN FINDING', value: (d) => mainFinding(s.diagnosis(d.name).findings)?.title ?? '-', minWidth: 20 },
    ];
    out.push(formatTable(columns, inv.domains, width).trimEnd());
    for (const w of inv.read.warnings) out.push(fitWidth(flattenControls(`warning: ${w}`), width).trimEnd());
    out.push('');
  }
  return out.join('\n');
}

const NAME_W = 46;
const VALUE_W = 22;

/** `domain vhost_ssl.conf:2` for the domain's own files (listed in full under Files), full paths otherwise. */
function describeSource(s: ResolvedSetting, domain?: DomainInventory): string {
  if (s.source === 'default') return 'default';
  if (!s.file) return s.source;
  const own = domain && (pleskLayout.isInSystemConfDir(domain.name, s.file) || domain.files.some((f) => f.path === s.file));
  const file = own ? s.file.slice(s.file.lastIndexOf('/') + 1) : s.file;
  return `${s.source} ${file}${s.line !== undefined ? `:${s.line}` : ''}`;
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
  out.push(
    `  Passenger in  ${domain.mode === 'apache' ? 'Apache' : 'nginx'}${domain.mode === 'apache' ? `; .htaccess overrides ${domain.htaccessOverrides ? 'allowed' : 'not allowed'}` : ''}`,
  );
  out.push(`  Socket.IO     ${domain.socketIoPath}`);
  out.push('');
  out.push(`Settings (effective value, where it comes from${domain.https ? '; the https virtual host, http below when it differs' : ''}):`);
  const settingLine = (label: string, s: ResolvedSetting): string[] => {
    const head = `  ${label.padEnd(NAME_W)} ${valueText(s.value)}`;
    const source = describeSource(s, domain);
    // Source on the same line when it fits, else on its own line, so nothing is cut.
    if (head.length + 3 + source.length <= width)
      return [`${head}${' '.repeat(Math.max(2, NAME_W + VALUE_W + 4 - head.length))}${source}`.slice(0, width)];
    return [head.length > width ? `${head.slice(0, width - 1)}…` : head, `      from ${source}`];
  };
  for (const spec of CATALOG) {
    const s = domain.effective[spec.key];
    if (!s) continue;
    // Enterprise-only directives and those this web server does not know are shown only when something sets them.
    const exists = domain.mode === 'apache' ? spec.contexts.apache.length > 0 : spec.contexts.nginx.length > 0;
    if ((spec.enterpriseOnly || !exists) && s.source === 'default') continue;
    out.push(...settingLine(directiveName(spec, domain.mode), s));
    const http = domain.effectiveHttp[spec.key];
    const generated = (x: ResolvedSetting) => x.file !== undefined && pleskLayout.isGeneratedFile(x.file);
    if (
      domain.https &&
      http &&
      (http.value !== s.value || http.source !== s.source || (http.file !== s.file && !(generated(http) && generated(s))))
    ) {
      out.push(...settingLine('  (http virtual host)', http));
    }
  }
  out.push('');
  out.push('Files:');
  for (const f of domain.files) out.push(`  ${f.kind.padEnd(12)} ${f.exists ? f.path : `${f.path} (none)`}`);
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
  return out.map((line) => flattenControls(line)).join('\n');
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
        global: inv.global.map((g) => ({
          key: g.key,
          name: g.name,
          value: g.value,
          source: g.source,
          file: g.file ?? null,
          line: g.line ?? null,
        })),
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
