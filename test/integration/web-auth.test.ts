import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { JobEventBus } from '../../backend/src/jobs/event-bus.js';
import { PLESK_SESSION_MS, startPanel, type RunningPanel } from '../../backend/src/web/app.js';
import { hashPassword } from '../../backend/src/web/password.js';
import { mintToken, type TokenClaims } from '../../backend/src/web/token.js';
import type { JobScope } from '../../backend/src/web/users.js';
import type { WatchReply } from '../../backend/src/web/sockets.js';

// The real panel over HTTP on 127.0.0.1 with an ephemeral port. No host state is touched.

const quiet = { info: () => {}, error: () => {} };

/** Minimal cookie-keeping client; redirects are not followed so each hop can be checked. */
class Browser {
  cookie = '';
  constructor(
    private readonly origin: string,
    private readonly stripPrefix = '',
  ) {}

  async get(path: string): Promise<Response> {
    return this.send('GET', path);
  }

  async post(path: string, form: Record<string, string>, headers: Record<string, string> = {}): Promise<Response> {
    return this.send('POST', path, new URLSearchParams(form).toString(), {
      'content-type': 'application/x-www-form-urlencoded',
      ...headers,
    });
  }

  async csrfFrom(path: string): Promise<string> {
    const html = await (await this.get(path)).text();
    const match = /<meta name="csrf-token" content="([^"]+)"/.exec(html);
    if (!match) throw new Error(`no CSRF token on ${path}`);
    return match[1]!;
  }

  private async send(method: string, path: string, body?: string, headers: Record<string, string> = {}): Promise<Response> {
    const local = path.startsWith('http') ? new URL(path).pathname + new URL(path).search : path;
    const unprefixed = this.stripPrefix && local.startsWith(this.stripPrefix) ? local.slice(this.stripPrefix.length) || '/' : local;
    const res = await fetch(`${this.origin}${unprefixed}`, {
      method,
      redirect: 'manual',
      headers: { ...headers, ...(this.cookie ? { cookie: this.cookie } : {}) },
      ...(body ? { body } : {}),
    });
    for (const line of res.headers.getSetCookie()) {
      const [pair] = line.split(';');
      if (pair?.startsWith('pp_session=')) this.cookie = pair.endsWith('=') ? '' : pair;
    }
    return res;
  }
}

describe('web auth, standalone mode', function () {
  // scrypt checks (~130 ms each) dominate; leave room for a loaded CI machine.
  this.timeout(30_000);
  let panel: RunningPanel;
  const password = 'correct horse battery staple';

  before(async () => {
    panel = await startPanel({ services: {}, mode: 'standalone', port: 0, passwordHash: await hashPassword(password), log: quiet });
  });
  after(async () => panel.close());

  it('listens on loopback and sends security headers', async () => {
    expect(panel.url).to.match(/^http:\/\/127\.0\.0\.1:\d+$/);
    const res = await fetch(`${panel.url}/login`);
    expect(res.status).to.equal(200);
    expect(res.headers.get('content-security-policy')).to.include("default-src 'self'").and.include("frame-ancestors 'self'");
    expect(res.headers.get('x-frame-options')).to.equal('SAMEORIGIN');
    expect(res.headers.get('x-content-type-options')).to.equal('nosniff');
    expect(res.headers.get('referrer-policy')).to.equal('no-referrer');
    expect(res.headers.get('x-powered-by')).to.equal(null);
  });

  it('sends anonymous visitors to the login page', async () => {
    const res = await new Browser(panel.url).get('/');
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal('/login?next=%2F');
  });

  it('the one-time login link works exactly once and sets an HttpOnly, SameSite=Lax cookie', async () => {
    const browser = new Browser(panel.url);
    const first = await browser.get(panel.loginUrl!);
    expect(first.status).to.equal(303);
    const setCookie = first.headers.getSetCookie().join('\n');
    expect(setCookie).to.match(/pp_session=[^;]+; Path=\/; HttpOnly; SameSite=Lax/);
    const overview = await browser.get('/');
    expect(overview.status).to.equal(200);
    expect(await overview.text())
      .to.include('All Node.js domains')
      .and.include('admin');

    const again = await new Browser(panel.url).get(panel.loginUrl!);
    expect(again.status).to.equal(403);
    expect(again.headers.getSetCookie()).to.have.length(0);
  });

  it('enforces the CSRF token on state changes (logout here)', async () => {
    const browser = new Browser(panel.url);
    await browser.get(panel.loginUrl!).then(() => undefined);
    // the first link is spent; log in with the password instead
    const csrf = await browser.csrfFrom('/login');
    expect((await browser.post('/login', { _csrf: csrf, password, next: '/' })).status).to.equal(303);

    const withoutToken = await browser.post('/logout', {});
    expect(withoutToken.status).to.equal(403);
    const wrongToken = await browser.post('/logout', { _csrf: randomBytes(24).toString('base64url') });
    expect(wrongToken.status).to.equal(403);
    expect((await browser.get('/')).status, 'still logged in after refused logouts').to.equal(200);

    const token = await browser.csrfFrom('/');
    const viaHeader = await browser.post('/logout', {}, { 'x-csrf-token': token });
    expect(viaHeader.status).to.equal(303);
    expect((await browser.get('/')).status).to.equal(303);
  });

  it('password login refuses a wrong password, rotates the session id on success', async () => {
    const browser = new Browser(panel.url);
    const csrf = await browser.csrfFrom('/login');
    const anonymous = browser.cookie;
    const wrong = await browser.post('/login', { _csrf: csrf, password: 'not the password', next: '/' });
    expect(wrong.headers.get('location')).to.equal('/login?failed=1&next=%2F');
    expect((await browser.get('/')).status).to.equal(303);
    const right = await browser.post('/login', { _csrf: csrf, password, next: '/' });
    expect(right.status).to.equal(303);
    expect(browser.cookie).to.not.equal(anonymous);
    expect((await browser.get('/')).status).to.equal(200);
    const missingCsrf = await new Browser(panel.url).post('/login', { password, next: '/' });
    expect(missingCsrf.status).to.equal(403);
  });

  it('refuses password guessing after ten failures from one address, even with the right password', async () => {
    const guesser = await startPanel({ services: {}, mode: 'standalone', port: 0, passwordHash: await hashPassword(password), log: quiet });
    try {
      const browser = new Browser(guesser.url);
      const csrf = await browser.csrfFrom('/login');
      for (let i = 0; i < 10; i++)
        expect((await browser.post('/login', { _csrf: csrf, password: `guess ${i}`, next: '/' })).status).to.equal(303);
      expect((await browser.post('/login', { _csrf: csrf, password, next: '/' })).status).to.equal(429);
      expect((await browser.get(guesser.loginUrl!)).status, 'the console link still works').to.equal(303);
    } finally {
      await guesser.close();
    }
  });

  it('counts parallel guesses before checking them: 40 at once, at most ten are checked', async () => {
    const guesser = await startPanel({ services: {}, mode: 'standalone', port: 0, passwordHash: await hashPassword(password), log: quiet });
    try {
      const browser = new Browser(guesser.url);
      const csrf = await browser.csrfFrom('/login');
      const statuses = await Promise.all(
        Array.from({ length: 40 }, (_, i) =>
          browser.post('/login', { _csrf: csrf, password: `guess ${i}`, next: '/' }).then((r) => r.status),
        ),
      );
      expect(statuses.filter((s) => s === 303).length, 'checked guesses').to.equal(10);
      expect(statuses.filter((s) => s === 429).length, 'refused guesses').to.equal(30);
    } finally {
      await guesser.close();
    }
  });

  it('ignores X-Forwarded-For in standalone mode (no proxy in front): a forged address does not reset the count', async () => {
    const guesser = await startPanel({ services: {}, mode: 'standalone', port: 0, passwordHash: await hashPassword(password), log: quiet });
    try {
      const browser = new Browser(guesser.url);
      const csrf = await browser.csrfFrom('/login');
      for (let i = 0; i < 10; i++) {
        const forged = { 'x-forwarded-for': `203.0.113.${i}` };
        expect((await browser.post('/login', { _csrf: csrf, password: `guess ${i}`, next: '/' }, forged)).status).to.equal(303);
      }
      const again = await browser.post('/login', { _csrf: csrf, password, next: '/' }, { 'x-forwarded-for': '198.51.100.7' });
      expect(again.status).to.equal(429);
    } finally {
      await guesser.close();
    }
  });

  it('serves the stylesheet and script the pages reference', async () => {
    for (const path of ['/static/panel.css', '/static/panel.js']) expect((await fetch(`${panel.url}${path}`)).status, path).to.equal(200);
  });
});

describe('web auth, Plesk mode', function () {
  this.timeout(30_000);
  const basePath = '/modules/passenger-panel/panel';
  const secret = randomBytes(32);
  const bus = new JobEventBus();
  const jobs = new Map<string, JobScope>([
    ['job-multi', { id: 'job-multi', kind: 'single', domains: ['multi.demo.test'] }],
    ['job-healthy', { id: 'job-healthy', kind: 'single', domains: ['healthy.demo.test'] }],
    ['job-bulk', { id: 'job-bulk', kind: 'bulk', domains: ['multi.demo.test', 'healthy.demo.test'] }],
  ]);
  let panel: RunningPanel;
  let origin: string;
  const sockets: Socket[] = [];

  before(async () => {
    panel = await startPanel({
      services: { jobs: { scope: (id) => jobs.get(id), events: bus } },
      mode: 'plesk',
      port: 0,
      basePath,
      tokenSecret: secret,
      log: quiet,
    });
    origin = panel.url.slice(0, -basePath.length);
  });
  after(async () => {
    for (const socket of sockets) socket.disconnect();
    await panel.close();
  });

  function token(overrides: Partial<TokenClaims> = {}): string {
    const now = Math.floor(Date.now() / 1000);
    return mintToken(secret, {
      v: 1,
      iss: 'plesk',
      sub: 'alice',
      role: 'customer',
      domains: ['multi.demo.test'],
      open: 'multi.demo.test',
      iat: now,
      exp: now + 60,
      jti: randomBytes(16).toString('hex'),
      ...overrides,
    });
  }

  /** What Plesk's launch form does: a POST from a page on the panel's own origin. */
  function launch(browser: Browser, form: Record<string, string>, headers: Record<string, string> = { origin }): Promise<Response> {
    return browser.post('/auth/plesk', form, headers);
  }

  async function loggedIn(claims: Partial<TokenClaims> = {}): Promise<Browser> {
    const browser = new Browser(origin, basePath);
    const res = await launch(browser, { token: token(claims), next: '/' });
    expect(res.status).to.equal(303);
    return browser;
  }

  function socketFor(browser: Browser | null): Socket {
    const socket = connectSocket(origin, {
      path: '/socket.io',
      transports: ['websocket'],
      reconnection: false,
      extraHeaders: browser ? { cookie: browser.cookie } : {},
    });
    sockets.push(socket);
    return socket;
  }

  it('exchanges the Plesk token for a session, opens the clicked domain and refuses the token a second time', async () => {
    const browser = new Browser(origin, basePath);
    const form = { token: token(), next: '/domains/multi.demo.test' };
    const res = await launch(browser, form);
    expect(res.status).to.equal(303);
    expect(res.headers.get('location')).to.equal(`${basePath}/domains/multi.demo.test`);
    expect(res.headers.getSetCookie().join()).to.include(`Path=${basePath}`);
    const page = await browser.get(res.headers.get('location')!);
    expect(page.status).to.equal(200);
    expect(await page.text())
      .to.include('multi.demo.test')
      .and.include('alice');

    expect((await launch(new Browser(origin, basePath), form)).status, 'replayed token').to.equal(401);
  });

  it("a customer cannot open another customer's domain, nor admin-only actions", async () => {
    const browser = await loggedIn();
    expect((await browser.get('/domains/healthy.demo.test')).status).to.equal(403);
    expect((await browser.get('/domains/HEALTHY.demo.test')).status).to.equal(403);
    const csrf = await browser.csrfFrom('/');
    expect((await browser.post('/refresh', { _csrf: csrf })).status).to.equal(403);
    expect((await browser.get('/jobs/job-healthy')).status).to.equal(403);
    expect((await browser.get('/jobs/job-bulk')).status).to.equal(403);
    expect((await browser.get('/jobs/job-multi')).status).to.equal(200);
  });

  it('accepts nothing but a valid token: no login page, expired and forged tokens refused', async () => {
    expect((await new Browser(origin, basePath).get('/login')).status).to.equal(401);
    expect((await new Browser(origin, basePath).get('/')).status).to.equal(401);
    const now = Math.floor(Date.now() / 1000);
    expect((await launch(new Browser(origin, basePath), { token: token({ iat: now - 120, exp: now - 60 }) })).status).to.equal(401);
    const forged = mintToken(randomBytes(32), JSON.parse(Buffer.from(token().split('.')[1]!, 'base64url').toString()) as TokenClaims);
    expect((await launch(new Browser(origin, basePath), { token: forged })).status).to.equal(401);
    expect((await launch(new Browser(origin, basePath), { token: token({ role: 'customer', domains: '*' as never }) })).status).to.equal(
      401,
    );
  });

  it('takes a long token in a POST body without a CSRF token, once', async () => {
    const domains = Array.from({ length: 400 }, (_, i) => `customer-site-${i}.example`);
    const long = token({ sub: 'bigreseller', role: 'reseller', domains, open: 'customer-site-7.example' });
    expect(long.length, 'longer than the panel nginx takes in a request line').to.be.greaterThan(8 * 1024);
    const browser = new Browser(origin, basePath);
    const res = await launch(browser, { token: long, next: '/domains/customer-site-7.example' });
    expect(res.status).to.equal(303);
    expect((await browser.get(res.headers.get('location')!)).status).to.equal(200);
    expect((await browser.get('/domains/multi.demo.test')).status).to.equal(403);
    expect((await launch(new Browser(origin, basePath), { token: long })).status, 'replayed').to.equal(401);
  });

  it('refuses a token by GET link or posted from another origin (login CSRF), and caps a session at one hour', async () => {
    const getLink = await new Browser(origin, basePath).get(`/auth/plesk?token=${token()}&next=/`);
    expect(getLink.status, 'GET link').to.not.equal(303);
    const foreigners: Record<string, string>[] = [{ origin: 'https://attacker.example' }, { origin: 'null' }, {}];
    for (const foreign of foreigners) {
      const res = await launch(new Browser(origin, basePath), { token: token(), next: '/' }, foreign);
      expect(res.status, JSON.stringify(foreign)).to.equal(403);
    }
    expect(PLESK_SESSION_MS).to.be.at.most(3600_000);
  });

  it('keeps ordinary forms small (64 KiB)', async () => {
    const browser = await loggedIn();
    const csrf = await browser.csrfFrom('/');
    expect((await browser.post('/logout', { _csrf: csrf, filler: 'x'.repeat(70_000) })).status).to.equal(413);
  });

  it('marks the cookie Secure when the panel nginx on loopback says the request came over https', async () => {
    const res = await fetch(`${origin}/auth/plesk`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        'x-forwarded-proto': 'https',
        origin: `https://${new URL(origin).host}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: new URLSearchParams({ token: token(), next: '/' }),
    });
    expect(res.status).to.equal(303);
    expect(res.headers.getSetCookie().join()).to.match(
      /pp_session=[^;]+; Path=\/modules\/passenger-panel\/panel; HttpOnly; Secure; SameSite=Lax/,
    );
  });

  it('an admin token opens every domain', async () => {
    const admin = await loggedIn({ sub: 'admin', role: 'admin', domains: '*', open: null });
    expect((await admin.get('/domains/healthy.demo.test')).status).to.equal(200);
    expect((await admin.get('/jobs/job-bulk')).status).to.equal(200);
  });

  it('socket.io refuses connections without a session', async () => {
    const error = await new Promise<Error>((resolve, reject) => {
      const socket = socketFor(null);
      socket.on('connect', () => reject(new Error('connected without a session')));
      socket.on('connect_error', resolve);
    });
    expect(error.message).to.match(/unauthorized/);
  });

  it('a customer socket gets events only of jobs it may see', async () => {
    const socket = socketFor(await loggedIn());
    await new Promise<void>((resolve, reject) => {
      socket.on('connect', resolve);
      socket.on('connect_error', reject);
    });
    const watch = (jobId: string): Promise<WatchReply> => new Promise((resolve) => socket.emit('job:watch', jobId, resolve));
    expect(await watch('job-healthy')).to.deep.equal({ ok: false, error: 'no such job' });
    expect(await watch('job-bulk')).to.deep.equal({ ok: false, error: 'no such job' });
    expect(await watch('job-none')).to.deep.equal({ ok: false, error: 'no such job' });
    expect(await watch('job-multi')).to.deep.equal({ ok: true, history: [] });

    const received: string[] = [];
    socket.on('job:event', (event) => received.push(event.jobId));
    const event = (jobId: string) => ({ jobId, at: new Date().toISOString(), step: 'verify', status: 'ok' as const, message: 'verified' });
    bus.publish(event('job-healthy'));
    bus.publish(event('job-bulk'));
    bus.publish(event('job-multi'));
    await new Promise<void>((resolve) => socket.once('job:event', () => resolve()));
    expect(received).to.deep.equal(['job-multi']);
  });

  it('socket.io refuses a cross-origin page even with a valid cookie', async () => {
    const browser = await loggedIn();
    const socket = connectSocket(origin, {
      path: '/socket.io',
      transports: ['polling'],
      reconnection: false,
      extraHeaders: { cookie: browser.cookie, origin: 'https://evil.example' },
    });
    sockets.push(socket);
    const error = await new Promise<Error>((resolve, reject) => {
      socket.on('connect', () => reject(new Error('cross-origin socket connected')));
      socket.on('connect_error', resolve);
    });
    expect(error).to.be.instanceOf(Error);
  });
});
