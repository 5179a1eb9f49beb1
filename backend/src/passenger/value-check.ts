/**
 * Typed checks of a value a person wants to give a Passenger directive, and the only way such a
 * value is turned into config text. A value that passes is printable ASCII with no quote,
 * backslash, angle bracket or brace, so once quoted it can never end the line, the argument or the
 * block it sits in, under Apache or nginx.
 */
import { ValidationError } from '../errors.js';
import {
  type ApacheContext,
  type DirectiveSpec,
  type DirectiveValue,
  type NginxContext,
  type WebServer,
  directiveName,
  lookupDirective,
} from './catalog.js';

export type Placement = { server: 'apache'; context: ApacheContext } | { server: 'nginx'; context: NginxContext };

const checkedBrand: unique symbol = Symbol('checked directive value');

/** A value that passed `parseValue`; only these can be rendered into config text. */
export interface CheckedValue {
  readonly spec: DirectiveSpec;
  readonly value: DirectiveValue;
  readonly [checkedBrand]: true;
}

/** Type, range and character checks, then the placement check: the one call for `set KEY=VALUE`. */
export function checkValue(name: string, raw: DirectiveValue, placement: Placement): CheckedValue {
  const spec = requireDirective(name);
  checkPlacement(spec, placement);
  return parseValue(spec, raw);
}

export function requireDirective(name: string): DirectiveSpec {
  const spec = lookupDirective(name);
  if (!spec) {
    throw new ValidationError(`Unknown directive "${printable(name)}".`, {
      field: 'directive',
      hint: 'use a name from the catalog, e.g. sticky_sessions, passenger_min_instances or PassengerMaxRequests',
    });
  }
  return spec;
}

/** Refuses a directive where open source Passenger would reject it, ignore it, or apply it server-wide. */
export function checkPlacement(spec: DirectiveSpec, placement: Placement): void {
  const name = directiveName(spec, placement.server);
  const fail = (message: string, hint: string): never => {
    throw new ValidationError(message, { field: spec.key, hint });
  };
  if (spec.enterpriseOnly) {
    fail(
      `${name} exists only in Passenger Enterprise; open source Passenger rejects it (Apache's config test fails, ` +
        'in .htaccess every request answers 500).',
      'leave it out; to cap processes per app use passenger_max_instances_per_app in the server config',
    );
  }
  const allowed: readonly string[] = placement.server === 'apache' ? spec.contexts.apache : spec.contexts.nginx;
  if (allowed.includes(placement.context)) return;
  if (allowed.length === 0) {
    fail(`${name} does not exist under ${placement.server === 'apache' ? 'Apache' : 'nginx'}.`, 'leave it out');
  }
  if (spec.serverOnly) {
    fail(
      `${name} acts on the whole server; it may only be set in the server config, not in a per-domain file.`,
      'change it with the server-wide settings action (admin only)',
    );
  }
  if (placement.context === 'htaccess' && spec.key === 'passenger_sticky_sessions_cookie_attributes') {
    fail(`${name} has no effect in .htaccess (seen on Passenger 6.0.17).`, 'set it in vhost.conf and vhost_ssl.conf');
  }
  fail(`${name} cannot be set in the ${contextLabel(placement)} context.`, `allowed there: ${allowed.join(', ')}`);
}

/** Parses and checks a raw value for a directive, whatever file it will go to. */
export function parseValue(spec: DirectiveSpec, raw: DirectiveValue): CheckedValue {
  const value = parseTyped(spec, raw);
  return { spec, value, [checkedBrand]: true };
}

/** The value as one config argument, quoted when it holds anything but plain word characters. */
export function formatValue(checked: CheckedValue): string {
  const { value } = checked;
  if (typeof value === 'boolean') return value ? 'on' : 'off';
  if (typeof value === 'number') return String(value);
  // Safe to wrap in double quotes: parseValue refused quotes, backslashes and control characters.
  return /^[A-Za-z0-9_./:+=@,%-]+$/.test(value) ? value : `"${value}"`;
}

/** One config line (without line end): `PassengerMinInstances 1` or `passenger_min_instances 1;`. */
export function renderDirective(checked: CheckedValue, server: WebServer): string {
  const line = `${directiveName(checked.spec, server)} ${formatValue(checked)}`;
  return server === 'nginx' ? `${line};` : line;
}

function parseTyped(spec: DirectiveSpec, raw: DirectiveValue): DirectiveValue {
  switch (spec.type) {
    case 'boolean':
      return parseBoolean(spec, raw);
    case 'integer':
      return parseInteger(spec, raw);
    case 'string':
      return parseString(spec, raw);
    case 'path':
      return parsePath(spec, raw);
    case 'cookieAttributes':
      return parseCookieAttributeValue(spec, raw);
  }
}

const trueWords = new Set(['on', 'true', 'yes', '1']);
const falseWords = new Set(['off', 'false', 'no', '0']);

function parseBoolean(spec: DirectiveSpec, raw: DirectiveValue): boolean {
  if (typeof raw === 'boolean') return raw;
  const word = safeText(spec, String(raw)).toLowerCase();
  if (trueWords.has(word)) return true;
  if (falseWords.has(word)) return false;
  throw invalid(spec, `must be on or off, not "${word}"`, 'use on or off');
}

function parseInteger(spec: DirectiveSpec, raw: DirectiveValue): number {
  if (typeof raw === 'boolean') throw invalid(spec, 'must be a whole number, not a boolean', rangeHint(spec));
  const text = typeof raw === 'number' ? String(raw) : safeText(spec, raw);
  if (!/^[+-]?\d{1,15}$/.test(text)) throw invalid(spec, `must be a whole number, not "${text}"`, rangeHint(spec));
  const n = Number(text);
  if ((spec.min !== undefined && n < spec.min) || (spec.max !== undefined && n > spec.max)) {
    throw invalid(spec, `${n} is out of range`, rangeHint(spec));
  }
  return n;
}

function parseString(spec: DirectiveSpec, raw: DirectiveValue): string {
  const text = safeText(spec, String(raw));
  if (spec.allowed) {
    const word = text.toLowerCase();
    if (!spec.allowed.includes(word))
      throw invalid(spec, `"${text}" is not one of the allowed values`, `use one of: ${spec.allowed.join(', ')}`);
    return word;
  }
  if (spec.key === 'passenger_sticky_sessions_cookie_name' && !/^[A-Za-z0-9_.-]{1,64}$/.test(text)) {
    throw invalid(spec, `"${text}" is not a valid cookie name`, 'use letters, digits, "_", "." or "-" (at most 64)');
  }
  return text;
}

function parsePath(spec: DirectiveSpec, raw: DirectiveValue): string {
  const text = safeText(spec, String(raw));
  if (text.split('/').includes('..')) throw invalid(spec, 'must not contain ".." segments', 'give the real path');
  if (spec.key === 'passenger_app_root' && !text.startsWith('/')) {
    throw invalid(spec, 'must be an absolute path', 'e.g. /var/www/vhosts/example.com/httpdocs');
  }
  if (spec.key === 'passenger_nodejs' && !text.startsWith('/') && !/^[A-Za-z0-9_.-]+$/.test(text)) {
    throw invalid(spec, 'must be an absolute path or a command name', 'e.g. /opt/plesk/node/20/bin/node');
  }
  return text;
}

export interface CookieAttribute {
  name: string;
  value?: string;
}

/** Attributes browsers know; Path is left out because Passenger already sends `Path=/`. */
const cookieAttributeNames = ['SameSite', 'Secure', 'HttpOnly', 'Partitioned', 'Domain', 'Max-Age'] as const;

/**
 * Splits a Set-Cookie attribute string (`SameSite=Lax; Secure;`) leniently, for reading what a
 * server has; names keep their spelling. Never throws.
 */
export function splitCookieAttributes(text: string): CookieAttribute[] {
  return text
    .replace(/^\s*["']|["']\s*$/g, '')
    .split(';')
    .map((part) => part.trim())
    .filter((part) => part !== '')
    .map((part) => {
      const eq = part.indexOf('=');
      return eq < 0 ? { name: part } : { name: part.slice(0, eq).trim(), value: part.slice(eq + 1).trim() };
    });
}

/** Whether an attribute string carries `Secure`, so browsers drop the cookie on plain http. */
export function cookieAttributesHaveSecure(text: string): boolean {
  return splitCookieAttributes(text).some((a) => a.name.toLowerCase() === 'secure');
}

function parseCookieAttributeValue(spec: DirectiveSpec, raw: DirectiveValue): string {
  const text = safeText(spec, String(raw), { allowSemicolon: true });
  const seen = new Set<string>();
  const parts: string[] = [];
  let sameSite: string | undefined;
  for (const attr of splitCookieAttributes(text)) {
    const known = cookieAttributeNames.find((n) => n.toLowerCase() === attr.name.toLowerCase());
    if (!known) {
      throw invalid(spec, `unknown cookie attribute "${attr.name}"`, `use ${cookieAttributeNames.join(', ')}`);
    }
    if (seen.has(known)) throw invalid(spec, `attribute ${known} is given twice`, 'give each attribute once');
    seen.add(known);
    const flag = known === 'Secure' || known === 'HttpOnly' || known === 'Partitioned';
    if (flag && attr.value !== undefined) throw invalid(spec, `${known} takes no value`, `write just ${known}`);
    if (!flag && !attr.value) throw invalid(spec, `${known} needs a value`, `e.g. ${known}=...`);
    if (known === 'SameSite') {
      sameSite = ['Strict', 'Lax', 'None'].find((v) => v.toLowerCase() === attr.value!.toLowerCase());
      if (!sameSite) throw invalid(spec, `SameSite must be Strict, Lax or None, not "${attr.value}"`, 'SameSite=Lax suits most sites');
      parts.push(`SameSite=${sameSite}`);
    } else if (known === 'Max-Age') {
      if (!/^-?\d{1,10}$/.test(attr.value!)) throw invalid(spec, 'Max-Age must be a whole number of seconds', 'e.g. Max-Age=86400');
      parts.push(`Max-Age=${attr.value}`);
    } else if (known === 'Domain') {
      if (!/^\.?[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)*$/.test(attr.value!))
        throw invalid(spec, 'Domain must be a host name', 'e.g. Domain=example.com');
      parts.push(`Domain=${attr.value}`);
    } else {
      parts.push(known);
    }
  }
  if (parts.length === 0) throw invalid(spec, 'needs at least one attribute', 'e.g. SameSite=Lax');
  if (sameSite === 'None' && !seen.has('Secure')) {
    throw invalid(spec, 'SameSite=None without Secure is rejected by browsers', 'use SameSite=Lax on plain http sites');
  }
  return parts.join('; ');
}

/**
 * Refuses anything that could end a line, an argument or a block in Apache or nginx syntax, so the
 * rendered value needs nothing but a pair of double quotes. Returns the value without outer spaces.
 */
function safeText(spec: DirectiveSpec, raw: string, opts: { allowSemicolon?: boolean } = {}): string {
  // Characters are checked before trimming, so a trailing line break is refused, not hidden.
  for (const ch of raw) {
    const code = ch.codePointAt(0)!;
    if (ch === '\n' || ch === '\r') throw invalid(spec, 'contains a line break', 'give the value on one line');
    if (code < 0x20 || code === 0x7f) {
      throw invalid(spec, `contains the control character ${codePoint(code)}`, 'remove it');
    }
    if (code > 0x7e) throw invalid(spec, `contains the non-ASCII character ${codePoint(code)}`, 'use printable ASCII only');
  }
  const text = raw.trim();
  if (text === '') throw invalid(spec, 'is empty', 'give a value, or unset the directive instead');
  if (text.length > 1024) throw invalid(spec, 'is longer than 1024 characters', 'give a shorter value');
  const special = /["'`\\<>{}$]/.exec(text);
  if (special) {
    throw invalid(
      spec,
      `contains ${JSON.stringify(special[0])}, which config files treat specially`,
      'leave quotes, backslashes, <, >, {, }, $ and ` out: the panel quotes values itself',
    );
  }
  if (!opts.allowSemicolon && text.includes(';')) {
    throw invalid(spec, 'contains ";", which ends a directive in nginx', 'remove it');
  }
  return text;
}

function invalid(spec: DirectiveSpec, problem: string, hint: string): ValidationError {
  return new ValidationError(`Value for ${spec.key} ${problem}.`, { field: spec.key, hint });
}

function rangeHint(spec: DirectiveSpec): string {
  if (spec.min !== undefined && spec.max !== undefined) return `use a whole number from ${spec.min} to ${spec.max}`;
  if (spec.min !== undefined) return `use a whole number of at least ${spec.min}`;
  return 'use a whole number';
}

function codePoint(code: number): string {
  return `U+${code.toString(16).toUpperCase().padStart(4, '0')}`;
}

/** For echoing a name back in an error without letting control characters into terminals or logs. */
function printable(text: string): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, 80);
}

function contextLabel(placement: Placement): string {
  if (placement.server === 'apache') {
    return { server: 'Apache server config', vhost: 'virtual host', directory: '<Directory>/<Location>', htaccess: '.htaccess' }[
      placement.context
    ];
  }
  return `nginx ${placement.context}`;
}
