/**
 * One domain's web-server config as Plesk lays it out: the generated last_httpd.conf / last_nginx.conf
 * (one virtual host or server block per scheme, each including the admin's file) and the admin files
 * themselves. Turns the raw read into the domain's facts (document root, https, Passenger mode,
 * .htaccess overrides) and the ordered directive chains that effective-settings.ts resolves.
 */
import { posix } from 'node:path';
import type { WebServer } from '../passenger/catalog.js';
import { parseApacheConfig } from '../passenger/apache-parser.js';
import { parseNginxConfig } from '../passenger/nginx-parser.js';
import type { ParsedConfig, ParsedDirective } from '../passenger/parsed-config.js';
import { sha256Hex } from '../ssh/files.js';
import type { DomainFile, DomainFileKind } from './inventory.js';
import type { SourcedDirective } from './effective-settings.js';
import { type RawInventory, sparseText } from './inventory-script.js';

export type Scheme = 'http' | 'https';

/** One `<VirtualHost>` or nginx `server { }` of the generated file, in file order. */
interface HostBlock {
  scheme: Scheme;
  directives: ParsedDirective[];
}

export interface DomainConfig {
  name: string;
  confDir: string;
  files: DomainFile[];
  /** Parsed admin files by kind (absent files parse as empty). */
  admin: Record<DomainFileKind, ParsedConfig>;
  apacheHosts: HostBlock[];
  nginxHosts: HostBlock[];
  hasGeneratedApache: boolean;
  hasGeneratedNginx: boolean;
  documentRoot: string;
  notes: string[];
}

const ADMIN_FILES: { kind: Exclude<DomainFileKind, 'htaccess'>; file: string }[] = [
  { kind: 'vhost', file: 'vhost.conf' },
  { kind: 'vhost_ssl', file: 'vhost_ssl.conf' },
  { kind: 'vhost_nginx', file: 'vhost_nginx.conf' },
];

function domainFile(path: string, kind: DomainFileKind, data: Buffer | undefined): DomainFile {
  if (!data) return { path, kind, exists: false, content: '', sha256: '' };
  return { path, kind, exists: true, content: data.toString('utf8'), sha256: sha256Hex(data) };
}

function parseFor(kind: DomainFileKind, file: DomainFile): ParsedConfig {
  const options = { file: file.path };
  return kind === 'vhost_nginx' ? parseNginxConfig(file.content, options) : parseApacheConfig(file.content, options);
}

const lower = (s: string): string => s.toLowerCase();

/** Groups a generated file's directives by their outermost virtual host / server block. */
function hostBlocks(parsed: ParsedConfig, server: WebServer): HostBlock[] {
  const blockName = server === 'apache' ? 'virtualhost' : 'server';
  const byLine = new Map<number, { args: string[]; directives: ParsedDirective[] }>();
  for (const d of parsed.directives) {
    const outer = d.blocks.find((b) => lower(b.name) === blockName);
    if (!outer) continue;
    const group = byLine.get(outer.line) ?? { args: outer.args, directives: [] };
    byLine.set(outer.line, group);
    group.directives.push(d);
  }
  return [...byLine.entries()]
    .sort(([a], [b]) => a - b)
    .map(([, g]) => ({ scheme: isTlsHost(server, g.args, g.directives) ? 'https' : 'http', directives: g.directives }));
}

function isTlsHost(server: WebServer, args: string[], directives: ParsedDirective[]): boolean {
  if (server === 'apache') {
    const engine = directives.find((d) => lower(d.name) === 'sslengine');
    if (engine) return lower(engine.args[0] ?? '') === 'on';
    return args.some((a) => /:(443|7081)$/.test(a));
  }
  return directives.some((d) => d.name === 'listen' && d.args.some((a) => a === 'ssl' || a === 'quic'));
}

function argOf(d: ParsedDirective | undefined): string | undefined {
  return d?.args[0];
}

export function readDomainConfig(raw: RawInventory, systemDir: string, name: string): DomainConfig {
  const confDir = posix.join(systemDir, name, 'conf');
  const notes: string[] = [];
  const files: DomainFile[] = [];
  const admin = {} as Record<DomainFileKind, ParsedConfig>;
  for (const { kind, file } of ADMIN_FILES) {
    const path = posix.join(confDir, file);
    const f = domainFile(path, kind, raw.files.get(path));
    files.push(f);
    admin[kind] = parseFor(kind, f);
  }

  const httpdPath = posix.join(confDir, 'last_httpd.conf');
  const nginxPath = posix.join(confDir, 'last_nginx.conf');
  const httpdLines = raw.generated.get(httpdPath);
  const nginxLines = raw.generated.get(nginxPath);
  const apache = httpdLines ? parseApacheConfig(sparseText(httpdLines), { file: httpdPath }) : undefined;
  const nginx = nginxLines ? parseNginxConfig(sparseText(nginxLines), { file: nginxPath }) : undefined;
  if (!apache && !nginx)
    notes.push(`no generated config in ${confDir} (last_httpd.conf / last_nginx.conf): Plesk has not configured this domain's web server`);
  const apacheHosts = apache ? hostBlocks(apache, 'apache') : [];
  const nginxHosts = nginx ? hostBlocks(nginx, 'nginx') : [];

  // The document root is what the web server serves; prefer Apache's (it reads .htaccess), then nginx's root.
  const docRootDirective =
    apacheHosts.flatMap((h) => h.directives).find((d) => lower(d.name) === 'documentroot') ??
    nginxHosts.flatMap((h) => h.directives).find((d) => d.name === 'root' && !d.blocks.some((b) => b.name === 'location'));
  let documentRoot = argOf(docRootDirective)?.replace(/\/+$/, '') ?? '';
  if (!documentRoot) {
    documentRoot = posix.join(posix.dirname(systemDir), name, 'httpdocs');
    notes.push(`document root not found in the generated config; assumed ${documentRoot}`);
  }
  const htaccessPath = posix.join(documentRoot, '.htaccess');
  const htaccess = domainFile(htaccessPath, 'htaccess', raw.files.get(htaccessPath));
  const refused = raw.refused.get(htaccessPath);
  if (refused) htaccess.refused = { reason: refused.refusal, detail: refused.detail };
  files.push(htaccess);
  admin.htaccess = parseApacheConfig(htaccess.content, { file: htaccessPath });

  return {
    name,
    confDir,
    files,
    admin,
    apacheHosts,
    nginxHosts,
    hasGeneratedApache: apache !== undefined,
    hasGeneratedNginx: nginx !== undefined,
    documentRoot,
    notes,
  };
}

function includes(d: ParsedDirective, adminPath: string): boolean {
  return /^include(optional)?$/i.test(d.name) && d.args.some((a) => a === adminPath);
}

/**
 * The domain-level directives of one scheme's virtual host (or server block) in the order the web
 * server reads them: generated lines, with the admin file spliced in where the generated file
 * includes it (at the end when it does not say).
 */
export function domainChain(config: DomainConfig, server: WebServer, scheme: Scheme): SourcedDirective[] {
  const hosts = server === 'apache' ? config.apacheHosts : config.nginxHosts;
  const adminKind: DomainFileKind = server === 'nginx' ? 'vhost_nginx' : scheme === 'https' ? 'vhost_ssl' : 'vhost';
  const adminFile = config.files.find((f) => f.kind === adminKind)!;
  const adminDirectives = config.admin[adminKind].directives.map((directive) => ({ directive, source: 'domain' as const }));
  const host = hosts.find((h) => h.scheme === scheme);
  if (!host) return adminFile.exists ? adminDirectives : [];
  const chain: SourcedDirective[] = [];
  let spliced = false;
  for (const directive of host.directives) {
    if (!spliced && includes(directive, adminFile.path)) {
      chain.push(...adminDirectives);
      spliced = true;
      continue;
    }
    chain.push({ directive, source: 'domain' });
  }
  if (!spliced && adminFile.exists) chain.push(...adminDirectives);
  return chain;
}

/** Which schemes the domain answers on, seen from where browsers connect (nginx in front when present). */
export function servedSchemes(config: DomainConfig): Set<Scheme> {
  const front = config.hasGeneratedNginx ? config.nginxHosts : config.apacheHosts;
  return new Set(front.map((h) => h.scheme));
}

/** Passenger runs inside nginx for this domain when nginx has it enabled there; otherwise inside Apache. */
export function passengerModeOf(config: DomainConfig, nginxHasPassenger: boolean, apacheHasPassenger: boolean): WebServer {
  if (!nginxHasPassenger) return 'apache';
  const nginxDirectives = [...config.nginxHosts.flatMap((h) => h.directives), ...config.admin.vhost_nginx.directives];
  const enabled = nginxDirectives.some((d) => d.name === 'passenger_enabled' && lower(d.args[0] ?? '') === 'on');
  if (!apacheHasPassenger) return 'nginx';
  return enabled ? 'nginx' : 'apache';
}

/**
 * Whether Apache reads Passenger directives from the document root's .htaccess: the AllowOverride of
 * the longest `<Directory>` path covering the document root, from the server config and the virtual
 * host (later wins on a tie). Apache's own default since 2.3.9 is None.
 */
export function htaccessOverridesAllowed(
  documentRoot: string,
  globalApache: readonly ParsedDirective[],
  vhost: readonly SourcedDirective[],
): boolean {
  let best: { length: number; value: string } | undefined;
  const consider = (d: ParsedDirective): void => {
    if (lower(d.name) !== 'allowoverride') return;
    const dir = [...d.blocks].reverse().find((b) => lower(b.name) === 'directory');
    if (!dir) return;
    const path = (dir.args[0] ?? '').replace(/\/+$/, '');
    if (path !== '' && documentRoot !== path && !documentRoot.startsWith(`${path}/`)) return;
    if (path === '' && dir.args[0] !== '/') return;
    if (!best || path.length >= best.length) best = { length: path.length, value: d.args.join(' ') };
  };
  for (const d of globalApache) if (!d.blocks.some((b) => lower(b.name) === 'virtualhost')) consider(d);
  for (const { directive } of vhost) consider(directive);
  return best !== undefined && lower(best.value) !== 'none';
}
