/**
 * The minimal facts diagnosis needs about a domain and a server. The inventory (plesk/) fills a
 * richer shape that satisfies these interfaces structurally, so it can be passed as it is; tests
 * and other callers can build them by hand.
 */
import {
  type DirectiveSpec,
  type DirectiveValue,
  type WebServer,
  defaultValue,
  directiveName,
  lookupDirective,
} from '../passenger/catalog.js';

export type FactSource = 'default' | 'server' | 'domain' | 'htaccess';

export interface FactSetting {
  value: DirectiveValue | null;
  source: FactSource;
  file?: string;
  line?: number;
}

/** A directive as found in one of the domain's files (generated, admin or .htaccess). */
export interface FactDirective {
  name: string;
  /** Catalog key when the catalog knows it. */
  key?: string;
  args: string[];
  line: number;
  file?: string;
  /** Enclosing sections, outermost first (`IfModule`, `Directory`, `location`...). */
  blocks: readonly { name: string }[];
  server: WebServer;
}

export interface FactProcess {
  pid: number;
  sessions?: number;
}

export interface DomainFacts {
  name: string;
  /** '' when the domain has no Node.js app. */
  appRoot: string;
  /** Which web server runs Passenger for the domain. */
  mode: WebServer;
  https: boolean;
  /** Served on plain http only: browsers drop a Secure cookie there. */
  httpOnly: boolean;
  /** False when Passenger is turned off for the domain. */
  passengerEnabled?: boolean;
  /** Catalog key -> effective value (https side when there is one); missing keys mean the default. */
  effective: Record<string, FactSetting>;
  /** The same for the plain http virtual host, when it differs. */
  effectiveHttp?: Record<string, FactSetting>;
  processes: readonly FactProcess[];
  /** Every directive in the domain's own files (not the server-wide config). */
  directives: readonly FactDirective[];
  /** The domain's config files; `refused` marks one that was not read for safety. */
  files?: readonly { path: string; refused?: { reason: string; detail: string } }[];
}

export interface ServerSettingFact extends FactSetting {
  key: string;
}

export interface ServerFacts {
  server: string;
  /** Server-wide settings found in the web server's config. */
  global: readonly ServerSettingFact[];
  domains: readonly DomainFacts[];
}

/** The effective setting for a key; Passenger's default when the facts do not mention it. */
export function settingOf(facts: DomainFacts, key: string, side: 'main' | 'http' = 'main'): FactSetting {
  const table = side === 'http' ? (facts.effectiveHttp ?? facts.effective) : facts.effective;
  const found = table[key];
  if (found) return found;
  const spec = lookupDirective(key);
  return { value: spec ? defaultValue(spec, facts.mode) : null, source: 'default' };
}

export function numberOf(setting: FactSetting): number | null {
  const v = setting.value;
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && /^-?\d+$/.test(v.trim())) return Number(v);
  return null;
}

export function booleanOf(setting: FactSetting): boolean | null {
  const v = setting.value;
  if (typeof v === 'boolean') return v;
  if (typeof v === 'string') {
    if (/^(on|true|yes|1)$/i.test(v.trim())) return true;
    if (/^(off|false|no|0)$/i.test(v.trim())) return false;
  }
  return null;
}

/** "PassengerMinInstances 2 (/var/www/vhosts/system/a.test/conf/vhost.conf:2)" or "... (Passenger's default)". */
export function describeSetting(key: string, setting: FactSetting, server: WebServer): string {
  const spec = lookupDirective(key);
  const name = spec ? directiveName(spec, server) : key;
  return `${name} ${formatFactValue(setting.value)} (${describeSource(setting)})`;
}

export function describeSource(setting: FactSetting): string {
  if (setting.source === 'default') return "Passenger's default";
  const where = setting.file ? `${setting.file}${setting.line ? `:${setting.line}` : ''}` : 'unknown file';
  const label = { server: 'server config', domain: 'domain config', htaccess: '.htaccess' }[setting.source];
  return `${label} ${where}`;
}

export function describeDirective(d: FactDirective): string {
  return `${d.name}${d.args.length ? ` ${d.args.join(' ')}` : ''} at ${d.file ?? 'a domain file'}:${d.line}`;
}

function formatFactValue(value: DirectiveValue | null): string {
  if (value === null) return '(not set)';
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  return String(value);
}

export function specOf(d: FactDirective): DirectiveSpec | undefined {
  return d.key ? lookupDirective(d.key) : undefined;
}
