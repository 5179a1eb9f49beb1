/**
 * Cookie jars for the probe. The point of the probe is to behave like the browsers that
 * real users run: Passenger's sticky cookie is `Secure` by default, browsers drop such a
 * cookie on a plain http site, and so sticky sessions silently do nothing there. Node's
 * socket.io-client jar ignores `Secure` (and Path, Domain, SameSite), which is why a check
 * built on it passes where browsers fail; the 'ignore-secure' jar reproduces that weaker
 * behaviour on purpose, so that tests can show the difference.
 */

export type CookieMode = 'browser' | 'ignore-secure';
export type SameSite = 'strict' | 'lax' | 'none' | 'unspecified';

export interface Cookie {
  name: string;
  value: string;
  /** Lower-case host (host-only) or the Domain attribute without its leading dot. */
  domain: string;
  hostOnly: boolean;
  path: string;
  secure: boolean;
  httpOnly: boolean;
  sameSite: SameSite;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined;
  createdAt: number;
}

/** What the jar did with one Set-Cookie line, kept as evidence for the verdict. */
export interface CookieDecision {
  name: string;
  stored: boolean;
  /** Why a cookie was not stored (or was deleted), in words an admin understands. */
  reason?: string;
  raw: string;
}

/** Where a request comes from, as far as SameSite is concerned. */
export interface RequestContext {
  method?: string;
  /** The page that sends the request is on another site (default false: same site). */
  crossSite?: boolean;
  /** The request is a top-level navigation (a link click), not an XHR/fetch. Default false. */
  topLevelNavigation?: boolean;
}

export interface CookieJar {
  readonly mode: CookieMode;
  /** Takes the Set-Cookie lines of a response to `url`. */
  store(url: URL, setCookieLines: readonly string[], context?: RequestContext): CookieDecision[];
  /** The Cookie header a client of this kind sends with a request to `url`, or undefined for none. */
  header(url: URL, context?: RequestContext): string | undefined;
  /** Cookies currently held (expired ones removed). */
  list(): Cookie[];
}

export interface CookieJarOptions {
  /** Clock in epoch ms; tests pass their own. */
  now?: () => number;
}

export function createCookieJar(mode: CookieMode, options: CookieJarOptions = {}): CookieJar {
  return mode === 'browser' ? new BrowserCookieJar(options) : new IgnoreSecureCookieJar(options);
}

interface ParsedSetCookie {
  name: string;
  value: string;
  attributes: Map<string, string | true>;
}

/** Splits one Set-Cookie line into name, value and its attributes (last one of each name wins). */
export function parseSetCookie(line: string): ParsedSetCookie | undefined {
  const [pair = '', ...rest] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return undefined;
  const name = pair.slice(0, eq).trim();
  let value = pair.slice(eq + 1).trim();
  if (!name) return undefined;
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) value = value.slice(1, -1);
  const attributes = new Map<string, string | true>();
  for (const part of rest) {
    const trimmed = part.trim();
    if (!trimmed) continue;
    const at = trimmed.indexOf('=');
    if (at === -1) attributes.set(trimmed.toLowerCase(), true);
    else attributes.set(trimmed.slice(0, at).trim().toLowerCase(), trimmed.slice(at + 1).trim());
  }
  return { name, value, attributes };
}

/** RFC 6265 5.1.4: the directory of the request path, used when Path is missing or odd. */
function defaultPath(url: URL): string {
  const path = url.pathname;
  if (!path.startsWith('/')) return '/';
  const last = path.lastIndexOf('/');
  return last <= 0 ? '/' : path.slice(0, last);
}

/** RFC 6265 5.1.4 path-match. */
export function pathMatches(requestPath: string, cookiePath: string): boolean {
  if (requestPath === cookiePath) return true;
  if (!requestPath.startsWith(cookiePath)) return false;
  return cookiePath.endsWith('/') || requestPath.charAt(cookiePath.length) === '/';
}

/** RFC 6265 5.1.3 domain-match (host names only; IP addresses must be equal). */
export function domainMatches(host: string, domain: string): boolean {
  if (host === domain) return true;
  if (/^[\d.]+$/.test(host) || host.includes(':')) return false;
  return host.endsWith(`.${domain}`);
}

function expiryOf(attributes: Map<string, string | true>, now: number): number | undefined {
  const maxAge = attributes.get('max-age');
  if (typeof maxAge === 'string' && /^-?\d+$/.test(maxAge)) {
    const seconds = Number(maxAge);
    return seconds <= 0 ? Number.NEGATIVE_INFINITY : now + seconds * 1000;
  }
  const expires = attributes.get('expires');
  if (typeof expires === 'string') {
    const at = Date.parse(expires);
    if (!Number.isNaN(at)) return at;
  }
  return undefined;
}

function sameSiteOf(attributes: Map<string, string | true>): SameSite {
  const raw = attributes.get('samesite');
  if (typeof raw !== 'string') return 'unspecified';
  const value = raw.toLowerCase();
  return value === 'strict' || value === 'lax' || value === 'none' ? value : 'unspecified';
}

function isSecureScheme(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:';
}

/** A browser's cookie rules (RFC 6265bis as Chromium applies them), enough for the probe. */
class BrowserCookieJar implements CookieJar {
  readonly mode = 'browser' as const;
  private cookies: Cookie[] = [];
  private readonly now: () => number;

  constructor(options: CookieJarOptions) {
    this.now = options.now ?? Date.now;
  }

  store(url: URL, setCookieLines: readonly string[], context: RequestContext = {}): CookieDecision[] {
    return setCookieLines.map((raw) => this.storeOne(url, raw, context));
  }

  private storeOne(url: URL, raw: string, context: RequestContext): CookieDecision {
    const parsed = parseSetCookie(raw);
    if (!parsed) return { name: '', stored: false, reason: 'not a name=value cookie', raw };
    const { name, value, attributes } = parsed;
    const refuse = (reason: string): CookieDecision => ({ name, stored: false, reason, raw });
    const now = this.now();
    const host = url.hostname.toLowerCase();
    const secure = attributes.has('secure');
    const sameSite = sameSiteOf(attributes);

    if (secure && !isSecureScheme(url)) {
      return refuse('the cookie is marked Secure but the site was reached over http; browsers ignore it');
    }
    let domain = host;
    let hostOnly = true;
    const domainAttr = attributes.get('domain');
    if (typeof domainAttr === 'string' && domainAttr.replace(/^\./, '') !== '') {
      domain = domainAttr.replace(/^\./, '').toLowerCase();
      if (!domainMatches(host, domain)) return refuse(`Domain=${domain} does not cover ${host}`);
      hostOnly = false;
    }
    const pathAttr = attributes.get('path');
    const path = typeof pathAttr === 'string' && pathAttr.startsWith('/') ? pathAttr : defaultPath(url);
    if (sameSite === 'none' && !secure) return refuse('SameSite=None without Secure is rejected by browsers');
    if (context.crossSite && sameSite !== 'none') {
      return refuse('set by a cross-site request without SameSite=None; browsers ignore it');
    }
    if (name.startsWith('__Secure-') && !secure) return refuse('__Secure- prefix requires Secure');
    if (name.startsWith('__Host-') && (!secure || !hostOnly || path !== '/')) {
      return refuse('__Host- prefix requires Secure, no Domain and Path=/');
    }
    const existing = this.cookies.findIndex((c) => c.name === name && c.domain === domain && c.path === path && c.hostOnly === hostOnly);
    if (!isSecureScheme(url) && !secure) {
      // An http response may not shadow a Secure cookie of the same name (leave-secure-cookies-alone).
      const shadowed = this.cookies.some(
        (c) =>
          c.secure && c.name === name && (domainMatches(c.domain, domain) || domainMatches(domain, c.domain)) && pathMatches(path, c.path),
      );
      if (shadowed) return refuse('an http response may not overwrite a Secure cookie of the same name');
    }
    const expiresAt = expiryOf(attributes, now);
    const previous = existing === -1 ? undefined : this.cookies[existing];
    if (existing !== -1) this.cookies.splice(existing, 1);
    if (expiresAt !== undefined && expiresAt <= now) {
      return { name, stored: false, reason: 'expired: the server deleted it', raw };
    }
    this.cookies.push({
      name,
      value,
      domain,
      hostOnly,
      path,
      secure,
      httpOnly: attributes.has('httponly'),
      sameSite,
      expiresAt,
      createdAt: previous?.createdAt ?? now,
    });
    return { name, stored: true, raw };
  }

  header(url: URL, context: RequestContext = {}): string | undefined {
    const host = url.hostname.toLowerCase();
    const method = (context.method ?? 'GET').toUpperCase();
    const sendable = this.list().filter((c) => {
      if (c.hostOnly ? c.domain !== host : !domainMatches(host, c.domain)) return false;
      if (!pathMatches(url.pathname, c.path)) return false;
      if (c.secure && !isSecureScheme(url)) return false;
      if (context.crossSite) {
        if (c.sameSite === 'strict') return false;
        // Chromium treats a cookie without SameSite as Lax.
        if (
          (c.sameSite === 'lax' || c.sameSite === 'unspecified') &&
          !(context.topLevelNavigation && (method === 'GET' || method === 'HEAD'))
        ) {
          return false;
        }
      }
      return true;
    });
    // RFC 6265 5.4: longer paths first, then older cookies first.
    sendable.sort((a, b) => b.path.length - a.path.length || a.createdAt - b.createdAt);
    return sendable.length ? sendable.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  list(): Cookie[] {
    const now = this.now();
    this.cookies = this.cookies.filter((c) => c.expiresAt === undefined || c.expiresAt > now);
    return [...this.cookies];
  }
}

/**
 * What socket.io-client's jar does under Node (engine.io-client 6.x, globals.node.js):
 * cookies keyed by name only, expiry honoured, Secure, Path, Domain and SameSite ignored.
 */
class IgnoreSecureCookieJar implements CookieJar {
  readonly mode = 'ignore-secure' as const;
  private readonly cookies = new Map<string, Cookie>();
  private readonly now: () => number;

  constructor(options: CookieJarOptions) {
    this.now = options.now ?? Date.now;
  }

  store(url: URL, setCookieLines: readonly string[]): CookieDecision[] {
    const now = this.now();
    return setCookieLines.map((raw) => {
      const parsed = parseSetCookie(raw);
      if (!parsed) return { name: '', stored: false, reason: 'not a name=value cookie', raw };
      const attrs = parsed.attributes;
      const expiresAt = expiryOf(attrs, now);
      this.cookies.set(parsed.name, {
        name: parsed.name,
        value: parsed.value,
        domain: url.hostname.toLowerCase(),
        hostOnly: true,
        path: '/',
        secure: attrs.has('secure'),
        httpOnly: attrs.has('httponly'),
        sameSite: sameSiteOf(attrs),
        expiresAt,
        createdAt: now,
      });
      const expired = expiresAt !== undefined && expiresAt <= now;
      return expired
        ? { name: parsed.name, stored: false, reason: 'expired: the server deleted it', raw }
        : { name: parsed.name, stored: true, raw };
    });
  }

  header(): string | undefined {
    const cookies = this.list();
    return cookies.length ? cookies.map((c) => `${c.name}=${c.value}`).join('; ') : undefined;
  }

  list(): Cookie[] {
    const now = this.now();
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) this.cookies.delete(name);
    }
    return [...this.cookies.values()];
  }
}
