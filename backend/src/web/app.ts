import express, { type NextFunction, type Request, type Response } from 'express';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { PanelError, ValidationError, errorMessage } from '../errors.js';
import { authRoutes, loadSession, PLESK_AUTH_PATH, requireCsrf, requireUser, type AuthConfig, type PanelMode } from './auth.js';
import { AuthError } from './errors.js';
import { sessionOf, userOf, wantsJson } from './http-context.js';
import { LoginLinks } from './login-links.js';
import { buildOverviewModel, type OverviewQuery } from './overview-model.js';
import { domainRoutes } from './domain-routes.js';
import { buildJobModel, buildJobsListModel } from './job-model.js';
import { securityHeaders } from './security.js';
import type { PanelServices } from './services.js';
import { SessionStore } from './sessions.js';
import { attachSockets, type PanelSocketServer } from './sockets.js';
import { assertAdmin, canSeeJob, isAdmin } from './users.js';
import { ViewRenderer, type LayoutData } from './views.js';

/** views/ at the repository top (also the layout of the installed bundle: dist/backend/src/web -> views). */
export const DEFAULT_VIEWS_DIR = fileURLToPath(new URL('../../../../views/', import.meta.url));

export const PLESK_SESSION_MS = 3600_000;

export interface PanelLogger {
  info(message: string): void;
  error(message: string, err?: unknown): void;
}

export interface StartPanelOptions {
  services: PanelServices;
  mode: PanelMode;
  /** Default 8737. 0 picks a free port (tests). */
  port?: number;
  /** Loopback only unless the admin knows better; default 127.0.0.1. */
  host?: string;
  /** Prefix stripped by a reverse proxy, e.g. /modules/passenger-panel/panel. Default ''. */
  basePath?: string;
  /** Plesk mode: secret shared with the extension (see token.ts readTokenSecret). */
  tokenSecret?: Buffer;
  /**
   * Plesk mode: the name of the managed server this Plesk runs on (its customers' domains are there).
   * Default: the first configured server.
   */
  localServer?: string;
  /** Standalone mode: scrypt hash of the admin password, in addition to the login link. */
  passwordHash?: string;
  viewsDir?: string;
  log?: PanelLogger;
}

export interface RunningPanel {
  /** http://host:port + basePath */
  url: string;
  port: number;
  /** Standalone mode: the first one-time login link (absolute URL). */
  loginUrl: string | null;
  server: Server;
  io: PanelSocketServer;
  close(): Promise<void>;
}

const consoleLog: PanelLogger = {
  info: (message) => console.log(message),
  error: (message, err) => console.error(message, err === undefined ? '' : errorMessage(err)),
};

export function normaliseBasePath(basePath: string | undefined): string {
  const trimmed = (basePath ?? '').replace(/\/+$/, '');
  if (trimmed !== '' && !/^\/[A-Za-z0-9._~/-]+$/.test(trimmed)) {
    throw new PanelError('invalid_base_path', `The base path ${JSON.stringify(basePath)} is not a plain URL path.`, {
      hint: 'use a form like /modules/passenger-panel/panel',
    });
  }
  return trimmed;
}

/** Builds and starts the panel's HTTP server with its Socket.IO endpoint. */
export async function startPanel(options: StartPanelOptions): Promise<RunningPanel> {
  const host = options.host ?? '127.0.0.1';
  const basePath = normaliseBasePath(options.basePath);
  const log = options.log ?? consoleLog;
  if (options.mode === 'plesk' && !options.tokenSecret) {
    throw new PanelError('secret_missing', 'Plesk mode needs the token secret shared with the extension.', {
      hint: 'pass --token-secret-file <path>',
    });
  }

  const views = new ViewRenderer(options.viewsDir ?? DEFAULT_VIEWS_DIR);
  // A Plesk session carries the domain list Plesk granted at login; an hour bounds how long it can
  // outlive a change of the user's rights in Plesk (opening the panel again mints a fresh list).
  const sessions = new SessionStore(options.mode === 'plesk' ? { absoluteMs: PLESK_SESSION_MS, idleMs: PLESK_SESSION_MS } : {});
  const loginLinks = options.mode === 'standalone' ? new LoginLinks() : undefined;
  const app = express();
  const server = createServer(app);
  const sockets = attachSockets(server, sessions, options.services.jobs);

  let origin = '';
  const auth: AuthConfig = {
    mode: options.mode,
    basePath,
    sessions,
    views,
    ...(options.tokenSecret ? { tokenSecret: options.tokenSecret } : {}),
    localServer: () => options.localServer ?? options.services.inventory?.servers?.()[0],
    ...(loginLinks ? { loginLinks } : {}),
    ...(options.passwordHash ? { passwordHash: options.passwordHash } : {}),
    onLoginLinkUsed: (path) => log.info(`Login link used. Next one-time login link: ${origin}${path}`),
    onLogout: (session) => sockets.dropSession(session),
  };

  // Plesk mode sits behind the panel's nginx on loopback: trust its X-Forwarded-* so cookies get Secure on
  // https. Standalone mode has no proxy in front, so a local client could forge those headers: trust none.
  app.set('trust proxy', options.mode === 'plesk' ? 'loopback' : false);
  app.disable('x-powered-by');
  app.use(securityHeaders());
  app.use('/static', express.static(`${views.viewsDir}/static`, { maxAge: '1h', index: false }));
  app.use(loadSession(auth));
  // The Plesk token exchange parses its own (larger) body; every other form stays small.
  const unlessPleskAuth =
    (middleware: express.RequestHandler): express.RequestHandler =>
    (req, res, next) =>
      req.path === PLESK_AUTH_PATH ? next() : middleware(req, res, next);
  app.use(unlessPleskAuth(express.urlencoded({ extended: false, limit: '64kb' })));
  app.use(unlessPleskAuth(express.json({ limit: '256kb' })));
  app.use(requireCsrf(options.mode === 'plesk' ? [PLESK_AUTH_PATH] : []));
  app.use(authRoutes(auth));
  app.get('/logged-out', (_req, res) => {
    res.send(
      views.render('message', layoutFor(res, basePath, 'Logged out'), {
        heading: 'You are logged out',
        text: 'Open Passenger Panel again from Plesk to continue.',
      }),
    );
  });
  app.use(requireUser(auth));

  app.get('/', async (req, res, next) => {
    try {
      const servers = options.services.inventory ? await options.services.inventory.overview() : null;
      const model = buildOverviewModel(userOf(res), servers, req.query as OverviewQuery, basePath);
      res.send(views.render('overview', layoutFor(res, basePath, model.title, 'overview'), model));
    } catch (err) {
      next(err);
    }
  });

  app.post('/refresh', async (_req, res, next) => {
    try {
      assertAdmin(userOf(res), 'Reading every server again');
      if (!options.services.inventory?.refresh)
        throw new PanelError('inventory_unavailable', 'The inventory service is not connected to this panel.');
      await options.services.inventory.refresh();
      res.redirect(303, `${basePath}/`);
    } catch (err) {
      next(err);
    }
  });

  app.use(
    domainRoutes({ services: options.services, views, basePath, layoutFor: (res, title, nav) => layoutFor(res, basePath, title, nav) }),
  );

  // Bulk action of the overview: admin-only, starts the bulk job service's job and opens its page.
  app.post('/bulk', async (req, res, next) => {
    try {
      const user = userOf(res);
      assertAdmin(user, 'A bulk change');
      if (!options.services.bulk)
        throw new PanelError(
          'bulk_unavailable',
          'Bulk jobs are not connected to this panel yet; open a domain and use Make Socket.IO safe there.',
        );
      const body = req.body as Record<string, unknown>;
      const picked = ([] as unknown[]).concat(body.domains ?? []).filter((v): v is string => typeof v === 'string' && v.includes('/'));
      if (picked.length === 0) throw new ValidationError('Select at least one domain for the bulk change.', { field: 'domains' });
      const selection = picked.map((v) => ({ server: v.slice(0, v.indexOf('/')), domain: v.slice(v.indexOf('/') + 1).toLowerCase() }));
      const { jobId } = await options.services.bulk.start(
        selection,
        typeof body.profile === 'string' ? body.profile : 'socketio-safe',
        user.name,
      );
      res.redirect(303, `${basePath}/jobs/${encodeURIComponent(jobId)}`);
    } catch (err) {
      next(err);
    }
  });

  app.get('/jobs', (_req, res) => {
    const user = userOf(res);
    const visibleJobs = (options.services.jobs?.recent?.(100) ?? []).filter((job) =>
      canSeeJob(user, {
        id: job.id,
        kind: job.kind === 'bulk' ? 'bulk' : job.kind === 'server' ? 'server' : 'single',
        domains: job.domains.map((d) => d.domain),
        ...(job.kind !== 'bulk' && job.domains[0] ? { server: job.domains[0].server } : {}),
      }),
    );
    res.send(views.render('jobs', layoutFor(res, basePath, 'Jobs', 'jobs'), buildJobsListModel(visibleJobs, basePath)));
  });

  app.get('/jobs/:id', (req, res, next) => {
    const scope = options.services.jobs?.scope(String(req.params.id));
    if (!scope || !canSeeJob(userOf(res), scope)) return next(new AuthError('job_unknown', 'No such job.', { status: 403 }));
    res.send(
      views.render(
        'job',
        layoutFor(res, basePath, `Job ${scope.id}`, 'jobs'),
        buildJobModel(scope, options.services.jobs?.describe?.(scope.id), basePath),
      ),
    );
  });

  app.use((req: Request, res: Response) => {
    res
      .status(404)
      .send(views.render('message', layoutFor(res, basePath, 'Not found'), { heading: 'Not found', text: `Nothing at ${req.path}.` }));
  });

  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const status =
      err instanceof AuthError
        ? err.status
        : err instanceof PanelError
          ? ['inventory_unavailable', 'domains_unavailable', 'bulk_unavailable'].includes(err.code)
            ? 503
            : 400
          : (clientErrorStatus(err) ?? 500);
    if (status === 500) log.error(`${req.method} ${req.path} failed`, err);
    const text = status === 500 ? 'Something went wrong inside the panel; the log has the details.' : errorMessage(err);
    const code = err instanceof PanelError ? err.code : 'internal';
    if (wantsJson(req)) {
      res.status(status).json({ error: code, message: text });
      return;
    }
    res.status(status).send(
      views.render('message', layoutFor(res, basePath, 'Error'), {
        heading: status === 403 ? 'Not allowed' : status === 401 ? 'Please log in' : 'Error',
        text,
        code,
      }),
    );
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 8737, host, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  origin = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  const loginUrl = loginLinks ? `${origin}${basePath}/login/link?code=${loginLinks.issue()}` : null;

  return {
    url: `${origin}${basePath}`,
    port,
    loginUrl,
    server,
    io: sockets.io,
    close: async () => {
      await sockets.io.close();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** Errors from express' own parsers (too large, bad JSON) carry a 4xx status and a message safe to show. */
function clientErrorStatus(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === 'number' && status >= 400 && status < 500 ? status : undefined;
}

function layoutFor(res: Response, basePath: string, title: string, nav?: string): LayoutData {
  const session = sessionOf(res);
  const user = session?.user ?? null;
  return {
    title,
    basePath,
    csrfToken: session?.csrfToken ?? null,
    user: user ? { name: user.name, role: user.role, isAdmin: isAdmin(user) } : null,
    ...(nav ? { nav } : {}),
  };
}
