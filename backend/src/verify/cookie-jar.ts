/**
 * Cookie jars for the probe. The point of the probe is to behave like the browsers that
 * real users run: Passenger's sticky cookie is `Secure` by default, browsers drop such a
 * cookie on a plain http site, and so sticky sessions silently do nothing there. Node's
 * socket.io-client jar ignores `Secure` (and Path, Domain, SameSite), which is why a check
 * built on it passes where browsers fail; the 'ignore-secure' jar reproduces that weaker
 * behaviour on purpose, so that tests can show the difference.
 *
 * The browser jar is tough-cookie (RFC 6265: Secure origins, Domain, Path, expiry, SameSite
 * contexts, __Secure-/__Host- prefixes) plus what it lacks, done here: a cookie without SameSite
 * counts as Lax, SameSite=None needs Secure, an http response may not overwrite a Secure cookie,
 * and Max-Age counts from when the cookie arrived (docs/libraries.md).
 */
import { Cookie, CookieJar as ToughJar, domainMatch, pathMatch } from 'tough-cookie';

export type CookieMode = 'browser' | 'ignore-secure';

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
}

export interface CookieJarOptions {
  /** Clock in epoch ms; tests pass their own. */
  now?: () => number;
}

export function createCookieJar(mode: CookieMode, options: CookieJarOptions = {}): CookieJar {
  return mode === 'browser' ? new BrowserCookieJar(options) : new IgnoreSecureCookieJar(options);
}

const NOT_A_COOKIE = 'not a name=value cookie';
const EXPIRED = 'expired: the server deleted it';

/** tough-cookie's refusals that an admin reads in a verdict, in the admin's words. */
const REASONS: Record<string, string> = {
  'Cookie is Secure but this is not a secure connection':
    'the cookie is marked Secure but the site was reached over http; browsers ignore it',
  'Cookie is SameSite but this is a cross-origin request': 'set by a cross-site request without SameSite=None; browsers ignore it',
};

function isSecureScheme(url: URL): boolean {
  return url.protocol === 'https:' || url.protocol === 'wss:';
}

/** A browser's cookie rules (RFC 6265bis as Chromium applies them), enough for the probe. */
class BrowserCookieJar implements CookieJar {
  readonly mode = 'browser' as const;
  // Only https/wss is a secure origin: a Secure cookie is never kept or sent over http, even on localhost.
  private readonly jar = new ToughJar(undefined, { allowSecureOnLocal: false, prefixSecurity: 'strict', rejectPublicSuffixes: true });
  private readonly now: () => number;

  constructor(options: CookieJarOptions) {
    this.now = options.now ?? Date.now;
  }

  store(url: URL, setCookieLines: readonly string[], context: RequestContext = {}): CookieDecision[] {
    return setCookieLines.map((raw) => this.storeOne(url, raw, context));
  }

  private storeOne(url: URL, raw: string, context: RequestContext): CookieDecision {
    const cookie = Cookie.parse(raw);
    if (!cookie?.key) return { name: '', stored: false, reason: NOT_A_COOKIE, raw };
    const name = cookie.key;
    const refuse = (reason: string): CookieDecision => ({ name, stored: false, reason, raw });
    if (cookie.sameSite === 'none' && !cookie.secure) return refuse('SameSite=None without Secure is rejected by browsers');
    // Chromium's Lax-by-default; tough-cookie would treat a missing SameSite as None.
    cookie.sameSite ??= 'lax';
    if (!cookie.secure && !isSecureScheme(url) && this.shadowsSecureCookie(url, cookie)) {
      return refuse('an http response may not overwrite a Secure cookie of the same name');
    }
    const now = new Date(this.now());
    // RFC 6265 5.3: Max-Age fixes the expiry when the cookie arrives; tough-cookie would count it
    // from the cookie's last use, so a cookie read often would never expire.
    if (typeof cookie.maxAge === 'number') {
      cookie.expires = new Date(cookie.maxAge <= 0 ? 0 : now.getTime() + cookie.maxAge * 1000);
      cookie.maxAge = null;
    }
    let stored: Cookie | undefined;
    try {
      stored = this.jar.setCookieSync(cookie, url.href, { now, sameSiteContext: context.crossSite ? 'none' : 'strict' });
    } catch (err) {
      const message = (err as Error).message;
      return refuse(REASONS[message] ?? message);
    }
    // Max-Age=0 or a past Expires: the jar now holds an expired cookie, which is the deletion.
    if (stored && stored.TTL(now.getTime()) <= 0) return refuse(EXPIRED);
    return { name, stored: true, raw };
  }

  /** RFC 6265bis 5.7 step 16 ("leave secure cookies alone"), which tough-cookie does not apply. */
  private shadowsSecureCookie(url: URL, cookie: Cookie): boolean {
    const domain = (cookie.domain ?? url.hostname).replace(/^\./, '').toLowerCase();
    const path = cookie.path?.startsWith('/') ? cookie.path : '/';
    return (this.jar.serializeSync()?.cookies ?? []).some(
      (c) =>
        c.secure === true &&
        c.key === cookie.key &&
        typeof c.domain === 'string' &&
        (domainMatch(c.domain, domain) === true || domainMatch(domain, c.domain) === true) &&
        pathMatch(path, typeof c.path === 'string' ? c.path : '/'),
    );
  }

  header(url: URL, context: RequestContext = {}): string | undefined {
    const method = (context.method ?? 'GET').toUpperCase();
    const laxAllowed = context.topLevelNavigation === true && (method === 'GET' || method === 'HEAD');
    const sameSiteContext = !context.crossSite ? 'strict' : laxAllowed ? 'lax' : 'none';
    // Expiry is judged on our clock (tough-cookie reads the system clock), so tests can move time.
    const now = this.now();
    const cookies = this.jar
      .getCookiesSync(url.href, { sameSiteContext, expire: false, sort: true })
      .filter((c) => (c.expiryTime() ?? Number.POSITIVE_INFINITY) > now);
    // Sorted as RFC 6265 5.4 asks: longer paths first, then older cookies first.
    return cookies.length ? cookies.map((c) => c.cookieString()).join('; ') : undefined;
  }
}

interface NamedCookie {
  value: string;
  /** Epoch ms; undefined for a session cookie. */
  expiresAt: number | undefined;
}

/**
 * What socket.io-client's jar does under Node (engine.io-client 6.x, globals.node.js):
 * cookies keyed by name only, expiry honoured, Secure, Path, Domain and SameSite ignored.
 * tough-cookie only parses the lines and works out the expiry.
 */
class IgnoreSecureCookieJar implements CookieJar {
  readonly mode = 'ignore-secure' as const;
  private readonly cookies = new Map<string, NamedCookie>();
  private readonly now: () => number;

  constructor(options: CookieJarOptions) {
    this.now = options.now ?? Date.now;
  }

  store(_url: URL, setCookieLines: readonly string[]): CookieDecision[] {
    const now = this.now();
    return setCookieLines.map((raw) => {
      const cookie = Cookie.parse(raw);
      if (!cookie?.key) return { name: '', stored: false, reason: NOT_A_COOKIE, raw };
      cookie.creation = new Date(now);
      const ttl = cookie.TTL(now);
      this.cookies.set(cookie.key, { value: cookie.value, expiresAt: ttl === Number.POSITIVE_INFINITY ? undefined : now + ttl });
      return ttl <= 0 ? { name: cookie.key, stored: false, reason: EXPIRED, raw } : { name: cookie.key, stored: true, raw };
    });
  }

  header(): string | undefined {
    const now = this.now();
    for (const [name, cookie] of this.cookies) {
      if (cookie.expiresAt !== undefined && cookie.expiresAt <= now) this.cookies.delete(name);
    }
    return this.cookies.size ? [...this.cookies].map(([name, c]) => `${name}=${c.value}`).join('; ') : undefined;
  }
}
