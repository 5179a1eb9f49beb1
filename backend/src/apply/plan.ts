import { CATALOG, type DirectiveKey, type DirectiveSpec, type DirectiveValue, lookupDirective } from '../passenger/catalog.js';
import { findManagedBlock, removeManagedBlock, replaceManagedBlock } from '../passenger/managed-block.js';
import { checkValue, parseValue, renderDirective, type CheckedValue } from '../passenger/value-check.js';
import type { DomainInventory, ServerInventory } from '../plesk/inventory.js';
import type { Finding } from '../diagnose/findings.js';
import { PanelError, ValidationError } from '../errors.js';
import { adminConfPath, htaccessPath } from '../plesk/paths.js';
import { chooseDomainTarget, type DomainFileKind as FileKind } from '../passenger/placement.js';
import { ABSENT, decodeExact, shaOf } from './remote-files.js';
import type { RemoteFile } from '../ssh/files.js';
import type { ServerOps } from './server-ops.js';
import { unifiedDiff } from './unified-diff.js';

/** One requested setting: a value to put in our block, or null to take our line out. */
export interface RequestedSetting {
  key: DirectiveKey;
  value: DirectiveValue | string | null;
  reason?: string;
}

export interface FileChange {
  path: string;
  kind: FileKind;
  existedBefore: boolean;
  existsAfter: boolean;
  /** sha256 of the bytes the plan was computed from (ABSENT for a missing file): the write guard. */
  beforeSha256: string;
  before: string;
  after: string;
  encoding: 'utf8' | 'latin1';
  diff: string;
  /** Catalog keys whose lines in this file change. */
  keys: string[];
  needsReload: boolean;
  /** Plesk includes an admin vhost file only when it exists when the config is generated. */
  needsRegenerate: boolean;
}

/** What a web-server reload would cost on this server right now (from passenger-status). */
export interface ReloadImpact {
  webServer: 'apache' | 'nginx';
  /** Other apps (domains) whose processes the reload restarts. */
  otherApps: number;
  otherProcesses: number;
  /** Sessions (open requests) those processes hold; each long-poll client counts as one. */
  otherSessions: number;
  thisDomainProcesses: number;
  apps: Array<{ domain: string; processes: number; sessions: number }>;
}

export interface ChangePlan {
  server: string;
  domain: string;
  /** What asked for it, for the journal: `profile socketio-safe`, `set KEY=VALUE...`, `rollback`. */
  what: string;
  createdAt: string;
  settings: Array<{ key: string; value: DirectiveValue | null; reason?: string; files: string[] }>;
  files: FileChange[];
  reloadNeeded: boolean;
  regenerateNeeded: boolean;
  reloadImpact: ReloadImpact | null;
  findings: Finding[];
  nothingToDo: boolean;
  summary: string;
}

function domainFilePath(domain: DomainInventory, kind: FileKind): string {
  const known = domain.files.find((f) => f.kind === kind);
  if (known) return known.path;
  return kind === 'htaccess' ? htaccessPath(domain.documentRoot) : adminConfPath(domain.name, kind);
}

const ALL_KINDS: FileKind[] = ['vhost', 'vhost_ssl', 'vhost_nginx', 'htaccess'];

/** Our block's lines by catalog key (lines we cannot name are kept under their own text). */
export function parseManagedLines(body: readonly string[]): Map<string, string> {
  const lines = new Map<string, string>();
  for (const line of body) {
    const name = /^\s*([A-Za-z_]+)/.exec(line)?.[1];
    const spec = name ? lookupDirective(name) : undefined;
    lines.set(spec ? spec.key : `#raw:${line}`, line);
  }
  return lines;
}

/** The value our own line sets, read back through the catalog (undefined when it does not parse). */
export function managedValue(line: string): DirectiveValue | undefined {
  const m = /^\s*([A-Za-z_]+)\s+(.*?)\s*;?\s*$/.exec(line);
  const spec = m ? lookupDirective(m[1] as string) : undefined;
  if (!m || !spec) return undefined;
  try {
    return parseValue(spec, (m[2] as string).replace(/^"(.*)"$/, '$1')).value;
  } catch {
    return undefined;
  }
}

/** Values our managed blocks set today across the domain's files (what the profile may simply remove). */
export function managedValuesOf(contents: ReadonlyArray<{ path: string; text: string | null }>): Map<string, DirectiveValue> {
  const values = new Map<string, DirectiveValue>();
  for (const { path, text } of contents) {
    const block = findManagedBlock(text, path);
    for (const [key, line] of parseManagedLines(block?.body ?? [])) {
      const v = managedValue(line);
      if (v !== undefined && !key.startsWith('#raw:')) values.set(key, v);
    }
  }
  return values;
}

function orderKey(key: string): number {
  const i = CATALOG.findIndex((s) => s.key === key);
  return i < 0 ? CATALOG.length : i;
}

export function reloadImpactOf(inventory: ServerInventory, domainName: string, webServer: 'apache' | 'nginx'): ReloadImpact {
  const apps: ReloadImpact['apps'] = [];
  let thisDomainProcesses = 0;
  for (const d of inventory.domains) {
    const processes = d.processes.length;
    if (d.name === domainName) {
      thisDomainProcesses = processes;
      continue;
    }
    // Passenger runs in one web server per domain; a reload of that server restarts only its apps.
    if (processes === 0 || d.mode !== webServer) continue;
    apps.push({ domain: d.name, processes, sessions: d.processes.reduce((n, p) => n + (p.sessions ?? 0), 0) });
  }
  const unmatched = inventory.processesUnmatched ?? [];
  if (unmatched.length > 0) {
    apps.push({
      domain: '(apps not matched to a domain)',
      processes: unmatched.length,
      sessions: unmatched.reduce((n, p) => n + (p.sessions ?? 0), 0),
    });
  }
  return {
    webServer,
    otherApps: apps.length,
    otherProcesses: apps.reduce((n, a) => n + a.processes, 0),
    otherSessions: apps.reduce((n, a) => n + a.sessions, 0),
    thisDomainProcesses,
    apps,
  };
}

export function findDomain(inventory: ServerInventory, name: string): DomainInventory {
  const domain = inventory.domains.find((d) => d.name === name.toLowerCase() || d.name === name);
  if (!domain) {
    throw new ValidationError(`Unknown domain "${name.replace(/[^\x20-\x7e]/g, '?').slice(0, 100)}" on server ${inventory.server}.`, {
      field: 'domain',
      hint: 'list the domains with `passenger-panel inventory`',
    });
  }
  return domain;
}

type CurrentFiles = Map<FileKind, { path: string; text: string | null; sha256: string; encoding: 'utf8' | 'latin1' }>;

/** The admin files a plan may touch for a domain: vhost_nginx.conf only where nginx runs Passenger or it exists. */
function candidateFiles(domain: DomainInventory): Array<{ kind: FileKind; path: string }> {
  return ALL_KINDS.filter((k) => k !== 'vhost_nginx' || domain.mode === 'nginx' || domain.files.some((f) => f.kind === k)).map((kind) => ({
    kind,
    path: domainFilePath(domain, kind),
  }));
}

export interface PlanInput {
  domain: DomainInventory;
  settings: readonly RequestedSetting[];
  what: string;
  findings?: Finding[];
}

/**
 * Plans for one or many domains of one server from ONE remote read of all their admin files, byte for
 * byte. A domain whose request the catalog refuses comes back as an error beside the others.
 */
export async function planBatch(
  ops: Pick<ServerOps, 'readFiles'>,
  inventory: ServerInventory,
  inputs: readonly PlanInput[],
): Promise<Array<{ domain: string; plan?: ChangePlan; error?: PanelError; read: RemoteFile[] }>> {
  const targets = inputs.map((i) => candidateFiles(i.domain));
  const files = await ops.readFiles(targets.flat().map((t) => t.path));
  let at = 0;
  return inputs.map((input, i) => {
    const current: CurrentFiles = new Map();
    const read: RemoteFile[] = [];
    for (const t of targets[i] ?? []) {
      const f = files[at++];
      if (!f) throw new PanelError('read_short', `reading the files of ${input.domain.name} returned too few entries`);
      read.push(f);
      const decoded = decodeExact(f.bytes);
      current.set(t.kind, { path: f.path, text: f.exists ? decoded.text : null, sha256: shaOf(f), encoding: decoded.encoding });
    }
    try {
      const plan = planFromFiles(inventory, input.domain, current, input.settings, {
        what: input.what,
        ...(input.findings ? { findings: input.findings } : {}),
      });
      return { domain: input.domain.name, plan, read };
    } catch (err) {
      if (err instanceof PanelError) return { domain: input.domain.name, error: err, read };
      throw err;
    }
  });
}

/**
 * A plan for one domain: which line goes in which file, the exact diff per file, and whether (and at
 * what cost) the web server must reload. Pure apart from reading the files; nothing is written.
 * Every value passes the catalog's checks for the file it goes to, or the whole plan is refused.
 */
export async function planChange(
  ops: Pick<ServerOps, 'readFiles'>,
  inventory: ServerInventory,
  domainName: string,
  requested: readonly RequestedSetting[],
  opts: { what: string; findings?: Finding[] },
): Promise<ChangePlan> {
  return (await planChangeRead(ops, inventory, domainName, requested, opts)).plan;
}

/** planChange, with the files as read for it: under the domain's lock they can serve as the checkpoint. */
export async function planChangeRead(
  ops: Pick<ServerOps, 'readFiles'>,
  inventory: ServerInventory,
  domainName: string,
  requested: readonly RequestedSetting[],
  opts: { what: string; findings?: Finding[] },
): Promise<{ plan: ChangePlan; read: Map<string, RemoteFile> }> {
  const domain = findDomain(inventory, domainName);
  const [one] = await planBatch(ops, inventory, [{ domain, settings: requested, ...opts }]);
  if (!one?.plan) throw one?.error ?? new PanelError('plan_missing', `no plan came back for ${domain.name}`);
  return { plan: one.plan, read: new Map(one.read.map((f) => [f.path, f])) };
}

export function planFromFiles(
  inventory: ServerInventory,
  domain: DomainInventory,
  current: CurrentFiles,
  requested: readonly RequestedSetting[],
  opts: { what: string; findings?: Finding[] },
): ChangePlan {
  // 1. Check every value where it will go; refuse the whole request on the first bad one.
  const lineFor = new Map<
    string,
    { spec: DirectiveSpec; kinds: FileKind[]; line: string | null; needsReload: boolean; value: DirectiveValue | null; reason?: string }
  >();
  for (const r of requested) {
    const spec = lookupDirective(r.key);
    if (!spec)
      throw new ValidationError(`Unknown directive "${String(r.key).slice(0, 80)}".`, {
        field: 'directive',
        hint: 'use a name from the catalog, e.g. passenger_min_instances',
      });
    const target = chooseDomainTarget(spec, domain);
    // vhost_ssl.conf only exists in Plesk's include set when the site has https.
    const where = { ...target, kinds: target.files.filter((k) => k !== 'vhost_ssl' || domain.https) };
    let checked: CheckedValue | null = null;
    if (r.value !== null) checked = checkValue(spec.key, r.value, where.placement);
    if (spec.identity) {
      throw new ValidationError(`${spec.apacheName} is part of the app's identity, which Plesk's Node.js settings manage.`, {
        field: spec.key,
        hint: 'change it in Plesk (Websites & Domains > Node.js), not here',
      });
    }
    if (lineFor.has(spec.key))
      throw new ValidationError(`${spec.key} is given twice.`, { field: spec.key, hint: 'give each setting once' });
    lineFor.set(spec.key, {
      spec,
      kinds: where.kinds,
      line: checked ? renderDirective(checked, domain.mode) : null,
      needsReload: where.needsReload,
      value: checked ? checked.value : null,
      ...(r.reason ? { reason: r.reason } : {}),
    });
  }

  // 2. New block per file: today's lines, requested keys moved to the file the catalog chose.
  const files: FileChange[] = [];
  const kinds = [...current.keys()];
  for (const kind of kinds) {
    const file = current.get(kind)!;
    const block = findManagedBlock(file.text, file.path);
    const lines = parseManagedLines(block?.body ?? []);
    const touched: string[] = [];
    for (const [key, want] of lineFor) {
      const belongsHere = want.kinds.includes(kind) && want.line !== null;
      const had = lines.get(key);
      if (belongsHere) {
        if (had !== want.line) touched.push(key);
        lines.set(key, want.line as string);
      } else if (had !== undefined) {
        touched.push(key);
        lines.delete(key);
      }
    }
    if (touched.length === 0) continue;
    const body = [...lines.entries()].sort((a, b) => orderKey(a[0]) - orderKey(b[0])).map(([, l]) => l);
    const before = file.text;
    let after: string | null;
    if (body.length === 0) {
      const stripped = removeManagedBlock(before, file.path);
      after = before === null ? null : stripped;
    } else {
      after = replaceManagedBlock(before, body, file.path);
    }
    if ((after ?? null) === before) continue;
    const existsAfter = after !== null;
    files.push({
      path: file.path,
      kind,
      existedBefore: before !== null,
      existsAfter,
      beforeSha256: file.sha256,
      before: before ?? '',
      after: after ?? '',
      encoding: file.encoding,
      diff: unifiedDiff(file.path, before ?? '', after ?? '', { existedBefore: before !== null, existsAfter }),
      keys: touched,
      needsReload: kind !== 'htaccess',
      needsRegenerate: kind !== 'htaccess' && (before === null) !== !existsAfter,
    });
  }

  const reloadNeeded = files.some((f) => f.needsReload);
  const regenerateNeeded = files.some((f) => f.needsRegenerate);
  const settings = [...lineFor.entries()].map(([key, w]) => ({
    key,
    value: w.value,
    ...(w.reason ? { reason: w.reason } : {}),
    files: files.filter((f) => f.keys.includes(key)).map((f) => f.path),
  }));
  const nothingToDo = files.length === 0;
  const summary = nothingToDo
    ? `${domain.name}: nothing to do, the files already say this.`
    : `${domain.name}: ${files.length} file${files.length === 1 ? '' : 's'} to change (${files.map((f) => f.kind).join(', ')}); ` +
      (reloadNeeded
        ? `needs one ${domain.mode === 'apache' ? 'Apache' : 'nginx'} reload${regenerateNeeded ? ' (through plesk reconfigure)' : ''}`
        : 'no reload needed (.htaccess is read on every request)');
  return {
    server: inventory.server,
    domain: domain.name,
    what: opts.what,
    createdAt: new Date().toISOString(),
    settings,
    files,
    reloadNeeded,
    regenerateNeeded,
    reloadImpact: reloadNeeded ? reloadImpactOf(inventory, domain.name, domain.mode) : null,
    findings: opts.findings ?? [],
    nothingToDo,
    summary,
  };
}

export { ABSENT };
export type { FileKind };
