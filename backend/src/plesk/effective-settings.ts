/**
 * Resolves every catalog directive to the value Passenger uses for a domain and where it comes from,
 * walking the sources in the order the web server applies them: Passenger's default, the server
 * config, the domain's virtual host (generated file and the admin's vhost*.conf in include order),
 * then the document root's .htaccess. A later setting replaces an earlier one.
 */
import { CATALOG, type DirectiveSpec, type DirectiveValue, type WebServer, allowedIn, defaultValue } from '../passenger/catalog.js';
import type { ParsedDirective } from '../passenger/parsed-config.js';
import type { ResolvedSetting, SettingSource } from './inventory.js';

/** A directive found somewhere that applies to the domain, tagged with the layer it lives in. */
export interface SourcedDirective {
  directive: ParsedDirective;
  source: Exclude<SettingSource, 'default'>;
}

/**
 * The value a directive's arguments stand for. Tolerant on purpose: this reads what is on the server,
 * and a value the catalog would refuse to write must still be shown as it is.
 */
export function readDirectiveValue(spec: DirectiveSpec, args: readonly string[]): DirectiveValue {
  const text = args.join(' ').trim();
  if (spec.type === 'boolean') {
    const lower = text.toLowerCase();
    if (lower === 'on' || lower === 'true') return true;
    if (lower === 'off' || lower === 'false') return false;
    return text;
  }
  if (spec.type === 'integer' && /^-?\d+$/.test(text)) return Number(text);
  return text;
}

/** Whether a directive in the domain's .htaccess takes effect (Apache reads it on the next request). */
export function htaccessDirectiveApplies(spec: DirectiveSpec, overridesAllowed: boolean): boolean {
  return overridesAllowed && allowedIn(spec, 'apache', 'htaccess');
}

function fromDirective(spec: DirectiveSpec, d: ParsedDirective, source: ResolvedSetting['source']): ResolvedSetting {
  return {
    value: readDirectiveValue(spec, d.args),
    source,
    ...(d.file !== undefined ? { file: d.file } : {}),
    line: d.line,
    raw: d.raw.trim(),
  };
}

/** Effective value and source of every catalog directive, given the layered directives in apply order. */
export function resolveEffective(
  server: WebServer,
  chain: readonly SourcedDirective[],
  options: { htaccessOverrides: boolean },
): Record<string, ResolvedSetting> {
  const result: Record<string, ResolvedSetting> = {};
  for (const spec of CATALOG) result[spec.key] = { value: defaultValue(spec, server), source: 'default' };
  for (const { directive, source } of chain) {
    if (directive.key === undefined || directive.server !== server) continue;
    const spec = CATALOG.find((s) => s.key === directive.key);
    if (!spec) continue;
    if (source === 'htaccess' && !htaccessDirectiveApplies(spec, options.htaccessOverrides)) continue;
    result[spec.key] = fromDirective(spec, directive, source);
  }
  return result;
}

/** Server-wide values alone (what a domain without its own settings gets), for the server summary. */
export function resolveServerLevel(server: WebServer, serverDirectives: readonly ParsedDirective[]): Record<string, ResolvedSetting> {
  return resolveEffective(
    server,
    serverDirectives.map((directive) => ({ directive, source: 'server' as const })),
    { htaccessOverrides: false },
  );
}
