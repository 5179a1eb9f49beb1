import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { ServerEntry } from '../../backend/src/config/types.js';
import { createServices, type Services } from '../../backend/src/main.js';
import { startPanel, type RunningPanel } from '../../backend/src/web/app.js';
import { changeJobs } from '../../backend/src/web/change-jobs.js';
import { inventoryPort } from '../../backend/src/web/inventory-port.js';
import { mintToken } from '../../backend/src/web/token.js';
import { pleskLogin } from '../support/plesk-login.js';
import { type ExtraServer, startExtraServer } from '../support/extra-servers.js';

// Read-only, against two real servers: a Plesk customer's token domains are those of the server the panel's
// Plesk runs on; a name of their list that lives on another managed server (a namesake there) is not theirs.
const EXTRA = process.env.PP_TEST_EXTRA_SERVER ?? 'b';
/** One of the customer's token domains on each server: multi.demo.test on the demo host, chat-x.demo.test on the extra one. */
const ON_DEMO = 'multi.demo.test';
const ON_EXTRA = 'chat-x.demo.test';

describe('web: a customer reaches their domains on the local server only (two servers)', function () {
  this.timeout(240_000);
  const quiet = { info: () => {}, error: () => {} };
  const secret = randomBytes(32);
  let services: Services;
  let dataDir: string;
  let extra: ExtraServer;
  let servers: ServerEntry[];
  const panels: RunningPanel[] = [];

  before(async () => {
    extra = await startExtraServer(EXTRA);
    dataDir = mkdtempSync(join(tmpdir(), 'pp-server-scope-'));
    services = await createServices({ demo: true, dataDir, databasePath: ':memory:', logger: pino({ level: 'silent' }) });
    servers = [...services.servers.list(), { ...extra.config, source: 'config' }];
    expect(servers.map((s) => s.name)).to.deep.equal(['demo', EXTRA]);
  });
  after(async () => {
    for (const panel of panels) await panel.close();
    await services?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  async function userOn(
    localServer: string | undefined,
    role: 'customer' | 'admin' = 'customer',
  ): Promise<{ panel: RunningPanel; get: (path: string) => Promise<Response> }> {
    const list = { list: () => servers };
    const { domains, jobs } = changeJobs({ ...services, servers: list, changes: services.changes, runner: services.runner });
    const panel = await startPanel({
      services: { inventory: inventoryPort({ servers: list, inventory: services.inventory }), domains, jobs },
      mode: 'plesk',
      port: 0,
      tokenSecret: secret,
      log: quiet,
      ...(localServer ? { localServer } : {}),
    });
    panels.push(panel);
    const now = Math.floor(Date.now() / 1000);
    const jti = randomBytes(16).toString('hex');
    const token = mintToken(secret, {
      v: 1,
      iss: 'plesk',
      sub: role === 'admin' ? 'admin' : 'alice',
      role,
      domains: role === 'admin' ? '*' : [ON_DEMO, ON_EXTRA],
      open: null,
      iat: now,
      exp: now + 60,
      jti,
    });
    const cookie = await pleskLogin(panel.url, token);
    return { panel, get: (path) => fetch(`${panel.url}${path}`, { headers: { cookie } }) };
  }

  /** The overview's rows as `domain@server`. */
  async function listed(get: (path: string) => Promise<Response>): Promise<string[]> {
    const html = await (await get('/')).text();
    return [...html.matchAll(/<tr data-domain="([^"]+)"[\s\S]*?<td>([^<]+)<\/td>/g)].map((m) => `${m[1]}@${m[2]}`);
  }

  it('an admin sees both domains, each on its own server', async () => {
    const { get } = await userOn(undefined, 'admin');
    expect(await listed(get)).to.include.members([`${ON_DEMO}@demo`, `${ON_EXTRA}@${EXTRA}`]);
  });

  for (const [label, local, mine, elsewhere] of [
    ['the first configured server by default', undefined, ON_DEMO, ON_EXTRA],
    ['the configured local server', EXTRA, ON_EXTRA, ON_DEMO],
  ] as const) {
    it(`uses ${label}: the token's domain on another server is refused`, async () => {
      const server = local ?? 'demo';
      const { get } = await userOn(local);
      expect(await listed(get)).to.deep.equal([`${mine}@${server}`]);
      const detail = (await (await get(`/api/domains/${mine}`)).json()) as { server: string };
      expect(detail.server).to.equal(server);
      expect(await (await get(`/domains/${mine}`)).text()).to.include(`Server <strong>${server}</strong>`);

      const api = await get(`/api/domains/${elsewhere}`);
      expect(api.status, `${elsewhere} is on another server`).to.equal(400);
      expect(((await api.json()) as { message: string }).message).to.match(/No server of this panel hosts/);
      const page = await get(`/domains/${elsewhere}`);
      expect(page.status).to.equal(200);
      expect(await page.text())
        .to.include(`No server of this panel hosts ${elsewhere}`)
        .and.not.include('id="make-safe"');
    });
  }
});
