import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { timingSafeEqual } from 'node:crypto';
import { AuthError } from './errors.js';
import { safeNextPath, sessionOf, setSession, wantsJson } from './http-context.js';
import type { LoginLinks } from './login-links.js';
import { LoginThrottle } from './login-throttle.js';
import { verifyPassword } from './password.js';
import type { Session, SessionStore } from './sessions.js';
import { readCookie } from './sessions.js';
import { UsedTokenIds, verifyToken } from './token.js';
import { userFromClaims, type PanelUser } from './users.js';
import type { ViewRenderer } from './views.js';

export const SESSION_COOKIE = 'pp_session';

/** Where the extension sends users with their token (GET query or POST body). */
export const PLESK_AUTH_PATH = '/auth/plesk';

/** Refuses a request whose Origin is not this server's own scheme://host[:port] (as the panel nginx forwards it). */
function requireSameOrigin(req: Request): void {
  const origin = req.get('origin');
  const own = `${req.protocol}://${req.get('host') ?? ''}`;
  if (origin !== own) {
    throw new AuthError('cross_origin_login', 'The Plesk login must be posted from the Plesk panel itself.', {
      status: 403,
      hint: 'open Passenger Panel from its entry in Plesk',
    });
  }
}

export type PanelMode = 'standalone' | 'plesk';

export interface AuthConfig {
  mode: PanelMode;
  /** Prefix the proxy strips ('' when served at the root); used for links and the cookie path. */
  basePath: string;
  sessions: SessionStore;
  views: ViewRenderer;
  /** Plesk mode: the secret shared with the extension. */
  tokenSecret?: Buffer;
  /** Plesk mode: the managed server this Plesk runs on; a customer's token domains are that server's. */
  localServer?: () => string | undefined;
  /** Standalone mode: one-time login links. */
  loginLinks?: LoginLinks;
  /** Standalone mode: optional admin password hash (scrypt$...). */
  passwordHash?: string;
  /** Called with a fresh login path each time the previous link was used, so the console always shows one. */
  onLoginLinkUsed?: (nextLinkPath: string) => void;
  /** Lets the socket layer drop the live connections of a session that logged out. */
  onLogout?: (session: Session) => void;
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Loads the session named by the cookie (if any) into res.locals. */
export function loadSession(config: AuthConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    setSession(res, config.sessions.fromCookie(readCookie(req.get('cookie'), SESSION_COOKIE)));
    next();
  };
}

export function writeSessionCookie(config: AuthConfig, req: Request, res: Response, session: Session): void {
  res.cookie(SESSION_COOKIE, config.sessions.cookieValue(session), {
    httpOnly: true,
    sameSite: 'lax',
    secure: req.secure,
    path: config.basePath || '/',
  });
}

/**
 * Every state change must carry the session's CSRF token (form field `_csrf` or header `x-csrf-token`).
 * SameSite=Lax already stops most cross-site posts; the token also covers same-site attackers.
 */
export function requireCsrf(exemptPaths: readonly string[] = []) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (SAFE_METHODS.has(req.method) || exemptPaths.includes(req.path)) {
      next();
      return;
    }
    const session = sessionOf(res);
    const body = req.body as Record<string, unknown> | undefined;
    const given = req.get('x-csrf-token') ?? (typeof body?._csrf === 'string' ? body._csrf : undefined);
    if (!session || !given || !sameString(given, session.csrfToken)) {
      next(new AuthError('csrf', 'The form was stale or did not come from this panel; reload the page and try again.', { status: 403 }));
      return;
    }
    next();
  };
}

function sameString(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** Logged-in users only; browsers are sent to the login page (standalone) or told to come through Plesk. */
export function requireUser(config: AuthConfig) {
  return (req: Request, res: Response, next: NextFunction): void => {
    if (sessionOf(res)?.user) {
      next();
      return;
    }
    if (config.mode === 'standalone' && req.method === 'GET' && !wantsJson(req)) {
      res.redirect(303, `${config.basePath}/login?next=${encodeURIComponent(req.originalUrl)}`);
      return;
    }
    next(new AuthError('not_logged_in', config.mode === 'plesk' ? 'Open Passenger Panel from Plesk to log in.' : 'Log in first.'));
  };
}

/** Login, login link, Plesk token exchange and logout. */
export function authRoutes(config: AuthConfig): Router {
  const router = express.Router();
  const usedTokens = new UsedTokenIds();

  const startSession = (req: Request, res: Response, user: PanelUser, next: string): void => {
    const session = config.sessions.login(sessionOf(res), user);
    setSession(res, session);
    writeSessionCookie(config, req, res, session);
    res.redirect(303, `${config.basePath}${safeNextPath(next)}`);
  };

  router.post('/logout', (_req, res) => {
    const session = sessionOf(res);
    if (session) {
      config.sessions.destroy(session);
      config.onLogout?.(session);
    }
    res.clearCookie(SESSION_COOKIE, { path: config.basePath || '/' });
    res.redirect(303, config.mode === 'plesk' ? `${config.basePath}/logged-out` : `${config.basePath}/login`);
  });

  if (config.mode === 'plesk') {
    if (!config.tokenSecret)
      throw new AuthError('secret_missing', 'Plesk mode needs the token secret.', { hint: 'pass --token-secret-file' });
    const secret = config.tokenSecret;
    // The token travels only in a POST body from a page on the panel's own origin. A GET link, or a post
    // from another site, would let that site log the visitor into a session of its choosing (login CSRF).
    // The token itself is the credential, so no CSRF token is asked.
    router.post(PLESK_AUTH_PATH, express.urlencoded({ extended: false, limit: '700kb' }), (req, res, next) => {
      try {
        requireSameOrigin(req);
        const body = req.body as Record<string, unknown>;
        const claims = verifyToken(typeof body.token === 'string' ? body.token : '', secret);
        if (!usedTokens.claim(claims))
          throw new AuthError('token_replayed', 'This Plesk link was already used; open the panel again from Plesk.');
        startSession(req, res, userFromClaims(claims, config.localServer?.()), typeof body.next === 'string' ? body.next : '/');
      } catch (err) {
        next(err);
      }
    });
    return router;
  }

  const links = config.loginLinks;
  router.get('/login', (req, res) => {
    let session = sessionOf(res);
    if (session?.user) return res.redirect(303, `${config.basePath}/`);
    if (!session) {
      session = config.sessions.create(null);
      setSession(res, session);
      writeSessionCookie(config, req, res, session);
    }
    res.send(
      config.views.render(
        'login',
        { title: 'Log in', basePath: config.basePath, csrfToken: session.csrfToken, user: null },
        { hasPassword: Boolean(config.passwordHash), next: safeNextPath(req.query.next), failed: req.query.failed === '1' },
      ),
    );
  });

  const throttle = new LoginThrottle();
  router.post('/login', (req, res, next) => {
    const body = req.body as Record<string, unknown>;
    const nextPath = safeNextPath(body.next);
    const address = req.ip ?? 'unknown';
    if (!config.passwordHash)
      return next(new AuthError('password_disabled', 'Password login is not set up; use the login link printed in the console.'));
    if (!throttle.tryBegin(address)) {
      return next(
        new AuthError(
          'login_throttled',
          'Too many wrong passwords from this address; wait ten minutes or use the login link printed in the console.',
          { status: 429 },
        ),
      );
    }
    verifyPassword(typeof body.password === 'string' ? body.password : '', config.passwordHash).then(
      (ok) => {
        throttle.finish(address, ok);
        if (!ok) return res.redirect(303, `${config.basePath}/login?failed=1&next=${encodeURIComponent(nextPath)}`);
        startSession(req, res, { name: 'admin', role: 'admin', domains: '*', via: 'password' }, nextPath);
      },
      (err: unknown) => {
        throttle.finish(address, false);
        next(err);
      },
    );
  });

  router.get('/login/link', (req, res, next) => {
    if (!links?.consume(String(req.query.code ?? ''))) {
      return next(
        new AuthError('login_link_used', 'This login link was already used or is unknown.', {
          hint: 'look at the panel console for the current link',
          status: 403,
        }),
      );
    }
    config.onLoginLinkUsed?.(`${config.basePath}/login/link?code=${links.issue()}`);
    startSession(req, res, { name: 'admin', role: 'admin', domains: '*', via: 'login-link' }, '/');
  });

  return router;
}
