import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { readDemoServer } from '../../backend/src/config/registry.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { diagnoseServer, type ServerDiagnosis } from '../../backend/src/diagnose/diagnose.js';
import { InventoryService } from '../../backend/src/plesk/inventory-service.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import { startPanel, type RunningPanel } from '../../backend/src/web/app.js';
import { inventoryPort } from '../../backend/src/web/inventory-port.js';
import { mintToken } from '../../backend/src/web/token.js';
import { pleskLogin } from '../support/plesk-login.js';
import { repoRoot } from '../support/php.js';

// Read-only against the real test host: the overview fed by the real inventory service over SSH.

const connectionPath = join(repoRoot, 'test/host/.state/connection.json');
const demoDomains = (
  JSON.parse(readFileSync(join(repoRoot, 'test/host/demo-domains.json'), 'utf8')) as { domains: { name: string }[] }
).domains.map((d) => d.name);

function rowOf(html: string, domain: string): string {
  const start = html.indexOf(`>${domain}</a>`);
  if (start < 0) throw new Error(`${domain} is not listed`);
  return html.slice(start, html.indexOf('</tr>', start));
}

describe('overview fed by the inventory of the test host', function () {
  this.timeout(90_000);
  const quiet = { info: () => {}, error: () => {} };
  const secret = randomBytes(32);
  let pool: SessionPool;
  let server: ServerConfig;
  const panels: RunningPanel[] = [];

  before(() => {
    if (!existsSync(connectionPath))
      throw new Error(`the test host is not set up (${connectionPath} is missing): run bash test/host/setup.sh`);
    server = readDemoServer(connectionPath)!;
    pool = new SessionPool();
  });
  after(async () => {
    for (const panel of panels) await panel.close();
    pool.closeAll();
  });

  async function panelFor(mode: 'standalone' | 'plesk'): Promise<RunningPanel> {
    const inventory = new InventoryService<ServerDiagnosis>(pool, { analyse: (inv) => diagnoseServer(inv) });
    const port = inventoryPort({ servers: { list: () => [server] }, inventory });
    const panel = await startPanel({
      services: { inventory: port },
      mode,
      port: 0,
      log: quiet,
      ...(mode === 'plesk' ? { tokenSecret: secret } : {}),
    });
    panels.push(panel);
    return panel;
  }

  async function cookieFrom(url: string): Promise<string> {
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).to.equal(303);
    return res.headers.getSetCookie()[0]!.split(';')[0]!;
  }

  it('an admin sees every demo domain with a verdict badge, process count and read time, and can refresh', async () => {
    const panel = await panelFor('standalone');
    const cookie = await cookieFrom(panel.loginUrl!);
    const html = await (await fetch(`${panel.url}/`, { headers: { cookie } })).text();
    for (const domain of demoDomains) expect(rowOf(html, domain)).to.match(/class="badge badge-(safe|at-risk|broken)"/);
    expect(rowOf(html, 'healthy.demo.test')).to.include('badge-safe');
    expect(rowOf(html, 'multi.demo.test')).to.not.include('badge-safe');
    expect(html).to.match(/· read <time datetime="\d{4}-\d\d-\d\dT/);
    expect(html).to.include('id="select-all"');

    const csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(html)![1]!;
    const refresh = await fetch(`${panel.url}/refresh`, {
      method: 'POST',
      redirect: 'manual',
      headers: { cookie, 'content-type': 'application/x-www-form-urlencoded' },
      body: `_csrf=${encodeURIComponent(csrf)}`,
    });
    expect(refresh.status).to.equal(303);
  });

  it("a customer token lists only that customer's domain, without bulk controls", async () => {
    const panel = await panelFor('plesk');
    const now = Math.floor(Date.now() / 1000);
    const token = mintToken(secret, {
      v: 1,
      iss: 'plesk',
      sub: 'alice',
      role: 'customer',
      domains: ['multi.demo.test'],
      open: null,
      iat: now,
      exp: now + 60,
      jti: randomBytes(16).toString('hex'),
    });
    const cookie = await pleskLogin(panel.url, token);
    const html = await (await fetch(`${panel.url}/`, { headers: { cookie } })).text();
    expect(rowOf(html, 'multi.demo.test')).to.include('class="badge');
    for (const other of demoDomains.filter((d) => d !== 'multi.demo.test')) expect(html).to.not.include(other);
    expect(html).to.not.include('id="select-all"').and.not.include('/refresh');
  });
});
