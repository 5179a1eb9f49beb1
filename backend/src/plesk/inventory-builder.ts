/**
 * Turns one raw inventory read into a ServerInventory: global Passenger settings, per-domain facts,
 * effective settings with their sources, and live processes matched to domains by app root.
 * Pure (no I/O), so unit tests drive it with reads captured from the test host.
 */
import { posix } from 'node:path';
import type { WebServer } from '../passenger/catalog.js';
import { CATALOG, directiveName } from '../passenger/catalog.js';
import { parseApacheConfig } from '../passenger/apache-parser.js';
import { parseNginxConfig } from '../passenger/nginx-parser.js';
import type { ParsedDirective } from '../passenger/parsed-config.js';
import { contextAt } from '../passenger/placement.js';
import { normalizeAppRoot, parsePassengerStatus } from '../passenger/status-xml.js';
import { errorMessage } from '../errors.js';
import type { DomainInventory, ProcessInfo, ResolvedSettingSource, ServerInventory } from './inventory.js';
import type { RawInventory } from './inventory-script.js';
import {
  type DomainConfig,
  domainChain,
  htaccessOverridesAllowed,
  passengerModeOf,
  readDomainConfig,
  servedSchemes,
} from './domain-config.js';
import { resolveEffective, resolveServerLevel, type SourcedDirective } from './effective-settings.js';

export const DEFAULT_SOCKET_IO_PATH = '/socket.io/';

export interface BuildOptions {
  server: string;
  systemDir: string;
  socketIoPaths?: Record<string, string> | undefined;
  readAt: Date;
  execs: number;
  ms: number;
}

interface GlobalConfig {
  apache: ParsedDirective[];
  nginx: ParsedDirective[];
  apacheHasPassenger: boolean;
  nginxHasPassenger: boolean;
}

const lower = (s: string): string => s.toLowerCase();

/** Inside `<IfModule !x>` Apache skips the lines when the module is loaded: treat them as inactive. */
function inNegatedIfModule(d: ParsedDirective): boolean {
  return d.blocks.some((b) => lower(b.name) === 'ifmodule' && (b.args[0] ?? '').startsWith('!'));
}

function readGlobal(raw: RawInventory): GlobalConfig {
  const apache: ParsedDirective[] = [];
  const nginx: ParsedDirective[] = [];
  let apacheHasPassenger = false;
  let nginxHasPassenger = false;
  for (const path of raw.globalFiles) {
    const content = raw.files.get(path)?.toString('utf8');
    if (content === undefined) continue;
    if (path.startsWith('/etc/nginx/')) {
      const parsed = parseNginxConfig(content, { file: path });
      nginx.push(...parsed.directives);
      if (parsed.directives.some((d) => (d.name === 'load_module' && /passenger/i.test(d.args.join(' '))) || d.name === 'passenger_root')) {
        nginxHasPassenger = true;
      }
    } else {
      const parsed = parseApacheConfig(content, { file: path });
      apache.push(...parsed.directives.filter((d) => !inNegatedIfModule(d)));
      if (parsed.directives.some((d) => lower(d.name) === 'loadmodule' && d.args[0] === 'passenger_module')) apacheHasPassenger = true;
    }
  }
  const modules = raw.commands['apache-modules']?.stdout.toString('utf8') ?? '';
  if (/^passenger\.load$/m.test(modules)) apacheHasPassenger = true;
  return { apache, nginx, apacheHasPassenger, nginxHasPassenger };
}

/** Directives that act at server level: Apache's main config, nginx's http block. */
function serverLevel(global: GlobalConfig, server: WebServer): ParsedDirective[] {
  if (server === 'apache') {
    return global.apache.filter(
      (d) => d.key !== undefined && contextAt({ server: 'apache', base: 'server' }, d.blocks).context === 'server',
    );
  }
  return global.nginx.filter((d) => d.key !== undefined && contextAt({ server: 'nginx', base: 'http' }, d.blocks).context === 'http');
}

function isPassengerDirective(d: ParsedDirective): boolean {
  return d.key !== undefined || /^passenger/i.test(d.name);
}

function buildDomain(
  config: DomainConfig,
  global: GlobalConfig,
  serverDirectives: Record<WebServer, ParsedDirective[]>,
  socketIoPath: string,
): DomainInventory {
  const mode = passengerModeOf(config, global.nginxHasPassenger, global.apacheHasPassenger);
  const schemes = servedSchemes(config);
  const https = schemes.has('https');
  const primary = https ? 'https' : 'http';
  const server = serverDirectives[mode].map((directive): SourcedDirective => ({ directive, source: 'server' }));
  const vhostChain = domainChain(config, mode, primary);
  const htaccessOverrides = mode === 'apache' && htaccessOverridesAllowed(config.documentRoot, global.apache, vhostChain);
  const htaccess: SourcedDirective[] =
    mode === 'apache' ? config.admin.htaccess.directives.map((directive) => ({ directive, source: 'htaccess' })) : [];
  const options = { htaccessOverrides };
  const effective = resolveEffective(mode, [...server, ...vhostChain, ...htaccess], options);
  const effectiveHttp =
    primary === 'http' ? effective : resolveEffective(mode, [...server, ...domainChain(config, mode, 'http'), ...htaccess], options);

  const notes = [...config.notes];
  const enabled = effective.passenger_enabled!;
  const rootSetting = effective.passenger_app_root!;
  // Apache's PassengerEnabled defaults to on everywhere, so only an explicit setting marks a Node.js app.
  const hasApp = enabled.value === true && (enabled.source !== 'default' || rootSetting.source !== 'default');
  const appRoot = hasApp
    ? normalizeAppRoot(
        typeof rootSetting.value === 'string' && rootSetting.value !== '' ? rootSetting.value : posix.dirname(config.documentRoot),
      )
    : '';
  if (!hasApp) notes.push('no Node.js app: Passenger is not enabled for this domain');
  const startup = effective.passenger_startup_file!.value;
  const appType = effective.passenger_app_type!.value;
  const nodejs = effective.passenger_nodejs!.value;
  const nodeVersion = typeof nodejs === 'string' ? /\/node\/(\d+(?:\.\d+)*)\/bin\/node$/.exec(nodejs)?.[1] : undefined;

  const directives = [
    ...config.apacheHosts.flatMap((h) => h.directives),
    ...config.nginxHosts.flatMap((h) => h.directives),
    ...config.admin.vhost.directives,
    ...config.admin.vhost_ssl.directives,
    ...config.admin.vhost_nginx.directives,
    ...config.admin.htaccess.directives,
  ].filter(isPassengerDirective);

  return {
    name: config.name,
    appRoot,
    documentRoot: config.documentRoot,
    startupFile: hasApp ? (typeof startup === 'string' && startup !== '' ? startup : 'app.js') : '',
    ...(typeof appType === 'string' ? { appType } : {}),
    ...(nodeVersion !== undefined ? { nodeVersion } : {}),
    mode,
    https,
    httpOnly: !https,
    htaccessOverrides,
    passengerEnabled: hasApp,
    files: config.files,
    directives,
    effective,
    effectiveHttp,
    processes: [],
    socketIoPath,
    notes,
  };
}

function passengerVersionOf(raw: RawInventory): string {
  const out = raw.commands['passenger-version']?.stdout.toString('utf8') ?? '';
  return /(\d+\.\d+\.\d+)/.exec(out)?.[1] ?? '';
}

export function buildServerInventory(raw: RawInventory, options: BuildOptions): ServerInventory {
  const warnings: string[] = [];
  const cmd = (name: string) => raw.commands[name];
  const domainList = cmd('domain-list');
  if (domainList?.code !== 0) {
    warnings.push(`\`plesk bin domain --list\` failed (exit ${domainList?.code ?? '?'}): ${(domainList?.stderr ?? '').trim().slice(-300)}`);
  }
  const global = readGlobal(raw);
  if (!global.apacheHasPassenger && !global.nginxHasPassenger) {
    warnings.push('Passenger is not loaded in Apache (no passenger.load / LoadModule passenger_module) nor in nginx');
  }
  const serverDirectives: Record<WebServer, ParsedDirective[]> = {
    apache: serverLevel(global, 'apache'),
    nginx: serverLevel(global, 'nginx'),
  };
  const mainServer: WebServer = global.apacheHasPassenger || !global.nginxHasPassenger ? 'apache' : 'nginx';
  const serverEffective = resolveServerLevel(mainServer, serverDirectives[mainServer]);
  const globalSettings: ResolvedSettingSource[] = CATALOG.filter((s) => !s.enterpriseOnly).map((spec) => ({
    key: spec.key,
    name: directiveName(spec, mainServer),
    server: mainServer,
    ...serverEffective[spec.key]!,
  }));

  const domains = raw.domains.map((name) =>
    buildDomain(
      readDomainConfig(raw, options.systemDir, name),
      global,
      serverDirectives,
      options.socketIoPaths?.[name] ?? DEFAULT_SOCKET_IO_PATH,
    ),
  );

  const status = cmd('passenger-status');
  let processesUnmatched: ProcessInfo[] = [];
  if (status?.code === 0) {
    const byRoot = new Map(domains.filter((d) => d.appRoot !== '').map((d) => [d.appRoot, d]));
    try {
      for (const group of parsePassengerStatus(status.stdout).groups) {
        const domain = byRoot.get(normalizeAppRoot(group.appRoot));
        if (domain) domain.processes.push(...group.processes);
        else processesUnmatched = [...processesUnmatched, ...group.processes];
      }
    } catch (err) {
      warnings.push(`${errorMessage(err)}; process counts are unknown`);
    }
  } else {
    warnings.push(
      `passenger-status --show=xml failed (exit ${status?.code ?? '?'}): ${(status?.stderr ?? '').trim().slice(-300) || 'no output'}; process counts are unknown`,
    );
  }

  return {
    server: options.server,
    readAt: options.readAt.toISOString(),
    passengerVersion: passengerVersionOf(raw),
    webServer: { apache: global.apacheHasPassenger, nginx: global.nginxHasPassenger },
    global: globalSettings,
    domains,
    processesUnmatched,
    read: { execs: options.execs, ms: options.ms, warnings },
  };
}
