// Browser tests: Debian's Chromium, driven headless by playwright-core, against the panel running on the
// real test host. They CHANGE multi.demo.test: the host is reset before and after (run them under
// `flock /var/lock/pp-host.lock` while others work on the same host). Screenshots go to test/artifacts/.
import { expect } from 'chai';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import { ChangeService } from '../../backend/src/jobs/change-service.js';
import { sshPorts } from '../../backend/src/jobs/ports.js';
import { JobRunner } from '../../backend/src/jobs/job-runner.js';
import { createServices, publicEndpointOf, type Services } from '../../backend/src/main.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { startPanel, type RunningPanel } from '../../backend/src/web/app.js';
import { bulkPort } from '../../backend/src/web/bulk-port.js';
import { changeJobs } from '../../backend/src/web/change-jobs.js';
import { inventoryPort } from '../../backend/src/web/inventory-port.js';
import type { PanelServices } from '../../backend/src/web/services.js';
import { mintToken } from '../../backend/src/web/token.js';
import { readFiles } from '../../backend/src/ssh/files.js';
import { CONNECTION_FILE, REPO_ROOT, resetHost } from '../support/testhost.js';

/**
 * Plesk's launch page, as the browser gets it: a form on the panel's own origin that posts the token.
 * The page is served by intercepting one address of that origin, so the browser sends a real Origin.
 */
async function postPleskLaunch(page: Page, panelUrl: string, token: string, next: string): Promise<void> {
  const launchUrl = `${panelUrl}/__plesk-launch-page`;
  await page.route(launchUrl, (route) =>
    route.fulfill({
      contentType: 'text/html',
      body: `<form method="post" action="${panelUrl}/auth/plesk"><input type="hidden" name="token" value="${token}"><input type="hidden" name="next" value="${next}"></form><script>document.forms[0].submit()</script>`,
    }),
  );
  await page.goto(launchUrl);
  await page.waitForURL((url) => url.pathname === next);
  await page.unroute(launchUrl);
}

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = join(REPO_ROOT, 'test', 'artifacts');
const LAUNCH_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const VIEWPORT = { width: 1366, height: 900 }; // a common laptop screen

const EXPECTED_VERDICTS: Record<string, string> = {
  'healthy.demo.test': 'safe',
  'custompath.demo.test': 'safe',
  'multi.demo.test': 'at-risk',
  'plainhttp.demo.test': 'at-risk',
  'idle.demo.test': 'at-risk',
};

/** One Chromium with its own new, empty profile; every console error and page error is kept. */
class BrowserUnderTest {
  readonly errors: string[] = [];
  private constructor(
    readonly context: BrowserContext,
    readonly page: Page,
    private readonly profileDir: string,
  ) {}

  static async launch(): Promise<BrowserUnderTest> {
    const profileDir = mkdtempSync(join(tmpdir(), 'pp-e2e-profile-'));
    const context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: LAUNCH_ARGS,
      viewport: VIEWPORT,
    });
    const page = context.pages()[0] ?? (await context.newPage());
    const browser = new BrowserUnderTest(context, page, profileDir);
    page.on('console', (msg) => {
      if (msg.type() === 'error') browser.errors.push(`${page.url()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => browser.errors.push(`${page.url()}: ${err.message}`));
    return browser;
  }

  async shot(name: string): Promise<void> {
    await this.page.screenshot({ path: join(ARTIFACTS, name), fullPage: true });
  }

  /** Errors since the last call, minus those the caller expects (e.g. the 403 of a refused page). */
  takeErrors(expected: RegExp | null = null): string[] {
    const found = this.errors.splice(0).filter((e) => !expected?.test(e));
    return found;
  }

  async close(): Promise<void> {
    await this.context.close();
    rmSync(this.profileDir, { recursive: true, force: true });
  }
}

describe('e2e: the panel in Chromium against the test host (changes host state)', function () {
  this.timeout(180_000);
  let services: Services;
  let panelServices: PanelServices;
  let panel: RunningPanel;
  let admin: BrowserUnderTest;
  let dataDir: string;
  let multiJobId: string | null = null;
  let bulkJobId: string | null = null;

  before(async () => {
    if (!existsSync(CHROMIUM))
      throw new Error(`${CHROMIUM} is missing: install Debian's chromium package (apt-get install chromium) to run the browser tests.`);
    if (!existsSync(CONNECTION_FILE))
      throw new Error(`The test host is not set up (${CONNECTION_FILE} missing): run \`bash test/host/setup.sh\` as root.`);
    mkdirSync(ARTIFACTS, { recursive: true });
    await resetHost();
    dataDir = mkdtempSync(join(tmpdir(), 'pp-e2e-data-'));
    services = await createServices({ demo: true, dataDir, databasePath: ':memory:', logger: pino({ level: 'silent' }) });
    // The product's change service, with a 3 s process watch instead of 10 s to keep this file's wall time down
    // (the watch itself is tested in verify/; the bulk job below keeps the default).
    const changes = new ChangeService({
      ports: sshPorts(services.pool),
      journal: services.store.journal,
      locks: new DomainLocks(new DomainLockRows(services.db)),
      endpointFor: (server) => publicEndpointOf(services.servers.get(server.name)),
      verifyDefaults: { watchWindowMs: 3_000 },
    });
    const runner = new JobRunner({
      changes,
      bulk: services.bulk,
      jobs: services.store.jobs,
      journal: services.store.journal,
      bus: services.events,
    });
    const { domains, jobs } = changeJobs({
      servers: services.servers,
      inventory: services.inventory,
      changes,
      runner,
      store: services.store,
      events: services.events,
    });
    panelServices = {
      inventory: inventoryPort({ servers: services.servers, inventory: services.inventory }),
      domains,
      jobs,
      bulk: bulkPort({ runner, inventory: services.inventory }),
    };
    panel = await startPanel({ services: panelServices, mode: 'standalone', port: 0, log: { info: () => {}, error: () => {} } });
    admin = await BrowserUnderTest.launch();
  });

  after(async () => {
    await admin?.close();
    await panel?.close();
    await services?.close();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    await resetHost();
  });

  it('logs in with the one-time link and lists every demo domain with its verdict badge', async () => {
    const { page } = admin;
    await page.goto(`${panel.url}/`);
    await page.waitForURL(/\/login/);
    await admin.shot('login.png');
    await page.goto(panel.loginUrl as string);
    await page.waitForSelector('table.list tbody tr[data-domain]');
    expect(new URL(page.url()).pathname).to.equal('/');
    for (const [domain, verdict] of Object.entries(EXPECTED_VERDICTS)) {
      const row = page.locator(`tr[data-domain="${domain}"]`);
      expect(await row.count(), `${domain} is listed`).to.equal(1);
      expect(await row.getAttribute('data-verdict'), `${domain} verdict`).to.equal(verdict);
      expect(await row.locator('.badge').innerText()).to.equal(verdict === 'safe' ? 'Safe' : 'At risk');
    }
    expect(await page.locator('.summary time').count(), 'the read time is shown').to.equal(1);
    await admin.shot('overview.png');

    // Filtering by verdict keeps only the matching rows (the select submits on change).
    await page.selectOption('#verdict', 'at-risk');
    await page.waitForURL(/verdict=at-risk/);
    const rows = await page.locator('tr[data-domain]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-verdict')));
    expect(rows).to.have.length(3);
    expect(new Set(rows)).to.deep.equal(new Set(['at-risk']));
    expect(admin.takeErrors(), 'console errors').to.deep.equal([]);
  });

  it('refuses a bad value beside its field and writes nothing', async () => {
    const { page } = admin;
    await page.goto(`${panel.url}/domains/multi.demo.test`);
    await page.fill('#f-passenger_min_instances', 'lots');
    await page.click('#plan-edits');
    const error = page.locator('#f-passenger_min_instances-error');
    await error.waitFor();
    expect(await error.innerText()).to.match(/whole number/);
    expect(await page.locator('#f-passenger_min_instances').getAttribute('aria-invalid')).to.equal('true');
    expect(await page.locator('#plan').count(), 'no plan for a refused edit').to.equal(0);
    await admin.shot('domain-edit-error.png');
    expect(admin.takeErrors(/status of 400/), 'console errors').to.deep.equal([]);
  });

  it('makes multi.demo.test Socket.IO safe: plan, confirm, live steps to "verified", badge turns safe', async () => {
    const { page } = admin;
    await page.goto(`${panel.url}/`);
    await page.click('a[href$="/domains/multi.demo.test"]');
    await page.waitForSelector('#verdict-badge');
    expect(await page.locator('#verdict-badge').innerText()).to.equal('At risk');
    expect(await page.locator('.finding').count()).to.be.greaterThan(0);
    expect(await page.locator('#settings tbody tr').count()).to.be.greaterThan(5);
    await admin.shot('domain.png');

    // Keyboard only: focus the button and press Enter.
    await page.focus('#make-safe');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#plan');
    const planText = await page.locator('#plan').innerText();
    expect(planText).to.match(/passenger_sticky_sessions/);
    expect(planText).to.match(/No reload|reload/i);
    expect(await page.locator('#plan .diff').count(), 'a diff per file').to.be.greaterThan(0);
    await admin.shot('domain-plan.png');

    await page.click('#confirm-change');
    await page.waitForSelector('#progress .job-steps li');
    multiJobId = await page.locator('#progress').getAttribute('data-job-id');
    expect(multiJobId).to.be.a('string');
    await admin.shot('domain-running.png');
    const result = page.locator('#progress .job-result');
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    expect(await result.innerText()).to.match(/^Verified/);
    const steps = await page.locator('#progress .job-steps li').evaluateAll((lis) => lis.map((li) => li.getAttribute('data-step')));
    // Verification steps may carry a prefix (verify.restart); match on the last part.
    const shortNames = steps.map((s) => String(s).split('.').pop());
    for (const step of ['plan', 'checkpoint', 'write', 'restart', 'probe', 'watch', 'verdict', 'job'])
      expect(shortNames, `step ${step} in ${steps.join(',')}`).to.include(step);
    expect(await page.locator('#progress .job-steps li[data-step$="verdict"].step-ok').count(), 'the verdict step passed').to.equal(1);
    await page.waitForSelector('#verdict-badge[data-verdict="safe"]');
    expect(await page.locator('#verdict-badge').innerText()).to.equal('Safe');
    // The details below were read again: sticky sessions now come from the domain's .htaccess, and the finding is gone.
    await page.waitForSelector('#settings .src-htaccess');
    await page.waitForSelector('#rollback');
    expect(await page.locator('.finding-warning').count()).to.equal(0);
    expect(await page.locator('#progress progress').getAttribute('value')).to.equal('100');
    await admin.shot('domain-verified.png');

    // Left and opened again after the end: the job page replays the history.
    await page.click('#progress a[href*="/jobs/"]');
    await page.waitForSelector('#job .job-result:not([hidden])');
    expect(await page.locator('#job .job-result').innerText()).to.match(/^Verified/);
    expect(await page.locator('tr[data-domain-row="multi.demo.test"] .domain-state').innerText()).to.equal('verified');
    expect(await page.locator('[data-count="ok"]').innerText()).to.equal('1');
    await admin.shot('job.png');

    // The domain's history shows the change, and a rollback is now offered; the overview agrees on the badge.
    await page.goto(`${panel.url}/domains/multi.demo.test`);
    expect(await page.locator('#history tbody tr').count()).to.be.greaterThan(0);
    expect(await page.locator('#rollback').count()).to.equal(1);
    await page.goto(`${panel.url}/`);
    expect(await page.locator('tr[data-domain="multi.demo.test"]').getAttribute('data-verdict')).to.equal('safe');
    expect(admin.takeErrors(), 'console errors').to.deep.equal([]);
  });

  it('runs a bulk job from the overview checkboxes and follows it on the job page', async () => {
    const { page } = admin;
    await page.goto(`${panel.url}/`);
    expect(await page.locator('#bulk-apply').isDisabled(), 'nothing selected yet').to.equal(true);
    for (const domain of ['idle.demo.test', 'plainhttp.demo.test']) await page.check(`input[name="domains"][value="demo/${domain}"]`);
    await page.click('#bulk-apply');
    await page.waitForURL(/\/jobs\//);
    bulkJobId = decodeURIComponent(new URL(page.url()).pathname.split('/').pop() as string);
    const result = page.locator('#job .job-result');
    await result.waitFor({ state: 'visible', timeout: 150_000 });
    const states = await page.locator('tr[data-domain-row] .domain-state').evaluateAll((els) => els.map((el) => el.textContent));
    expect(states, `${await result.innerText()}`).to.deep.equal(['verified', 'verified']);
    expect(await page.locator('[data-count="ok"]').innerText()).to.equal('2');
    expect(await page.locator('#job progress').getAttribute('value')).to.equal('100');
    await admin.shot('job-bulk.png');
    // Both jobs can be found again later from the jobs list.
    await page.click('nav a[href$="/jobs"]');
    await page.waitForSelector('#jobs');
    for (const id of [multiJobId, bulkJobId])
      expect(await page.locator(`#jobs tr[data-job="${id}"]`).count(), `job ${id} listed`).to.equal(1);
    await admin.shot('jobs.png');
    await page.goto(`${panel.url}/`);
    for (const domain of ['idle.demo.test', 'plainhttp.demo.test'])
      expect(await page.locator(`tr[data-domain="${domain}"]`).getAttribute('data-verdict'), domain).to.equal('safe');
    expect(admin.takeErrors(), 'console errors').to.deep.equal([]);
  });

  it('edits a setting through the form and rolls it back from the domain page', async () => {
    const { page } = admin;
    const stickySource = () => page.locator('#settings tr[data-key="passenger_sticky_sessions"] .src').innerText();
    await page.goto(`${panel.url}/domains/healthy.demo.test`);
    expect(await stickySource()).to.equal('Passenger default');
    await page.selectOption('#f-passenger_sticky_sessions', 'on');
    await page.click('#plan-edits');
    await page.waitForSelector('#plan');
    expect(await page.locator('#plan h2').innerText()).to.match(/your edits/i);
    await page.click('#confirm-change');
    const result = page.locator('#progress .job-result');
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    expect(await result.innerText()).to.match(/^Verified/);
    await page.waitForSelector('#settings .src-htaccess');

    await page.click('#rollback');
    await page.waitForSelector('#plan');
    expect(await page.locator('#plan h2').innerText()).to.match(/roll back/i);
    expect(await page.locator('#plan .d-del').count(), 'the plan takes our block out again').to.be.greaterThan(0);
    await admin.shot('domain-rollback-plan.png');
    await page.click('#confirm-change');
    await result.waitFor({ state: 'visible', timeout: 120_000 });
    expect(await result.innerText()).to.match(/^Verified/);
    await page.waitForFunction(() => !document.querySelector('#settings .src-htaccess'));
    expect(await stickySource()).to.equal('Passenger default');
    const kinds = await page.locator('#history tbody tr td:nth-child(2)').allInnerTexts();
    expect(kinds.map((k) => k.split(' ')[0])).to.deep.equal(['rollback', 'set']);
    expect(admin.takeErrors(), 'console errors').to.deep.equal([]);
  });

  it("a customer's Plesk token cannot open another customer's domain or its job events", async () => {
    expect(multiJobId, 'an earlier test started a job on multi.demo.test').to.be.a('string');
    expect(bulkJobId, 'an earlier test started a bulk job').to.be.a('string');
    await asCustomer('bob', 'healthy.demo.test', async (customer, plesk) => {
      const { page } = customer;
      await page.waitForSelector('#verdict-badge');
      expect(new URL(page.url()).pathname).to.equal('/domains/healthy.demo.test');
      await customer.shot('customer-domain.png');

      // Their overview lists only their own domain.
      await page.goto(`${plesk.url}/`);
      expect(await page.locator('tr[data-domain]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-domain')))).to.deep.equal([
        'healthy.demo.test',
      ]);

      await page.goto(`${plesk.url}/jobs`);
      // Jobs on bob's own domain (the edit and its rollback) are listed; the multi and bulk jobs are not.
      const listed = await page.locator('#jobs tr[data-job]').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-job')));
      expect(listed).to.have.length(2);
      expect(listed).not.to.include(multiJobId);
      expect(listed).not.to.include(bulkJobId);

      const refused = await page.goto(`${plesk.url}/domains/multi.demo.test`);
      expect(refused?.status()).to.equal(403);
      expect(await page.locator('h1').innerText()).to.equal('Not allowed');
      await customer.shot('customer-refused.png');
      expect((await page.goto(`${plesk.url}/jobs/${multiJobId}`))?.status(), "the other domain's job page").to.equal(403);
      expect((await page.goto(`${plesk.url}/jobs/${bulkJobId}`))?.status(), 'a bulk job page').to.equal(403);
      // A bulk change from the customer's own page, with its valid CSRF token: refused because it is admin-only.
      const bulk = await page.evaluate(async (url) => {
        const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
          body: 'domains=demo%2Fhealthy.demo.test',
        });
        return { status: res.status, body: (await res.json()) as { error: string } };
      }, `${plesk.url}/bulk`);
      expect(bulk.status).to.equal(403);
      expect(bulk.body.error).to.equal('admin_only');

      // Asked over the customer's own authenticated socket, the other domain's job is "no such job", and no event arrives.
      await page.goto(`${plesk.url}/domains/healthy.demo.test`);
      await page.addScriptTag({ url: `${plesk.url}/socket.io/socket.io.min.js` });
      const reply = await page.evaluate(
        (jobId) =>
          new Promise<{ reply: unknown; events: number }>((resolve) => {
            const w = window as unknown as {
              io: (opts: object) => { on: (e: string, f: (...a: unknown[]) => void) => void; emit: (e: string, ...a: unknown[]) => void };
            };
            const socket = w.io({ path: '/socket.io' });
            let events = 0;
            socket.on('job:event', () => (events += 1));
            socket.on('connect', () =>
              socket.emit('job:watch', jobId, (r: unknown) => setTimeout(() => resolve({ reply: r, events }), 300)),
            );
          }),
        multiJobId,
      );
      expect(reply).to.deep.equal({ reply: { ok: false, error: 'no such job' }, events: 0 });
      expect(customer.takeErrors(/status of 403/), 'console errors').to.deep.equal([]);
    });
  });

  it("refuses a stale confirm (409, nothing written) and a customer's rollback of an admin's later change (403)", async () => {
    const domain = 'custompath.demo.test';
    const [server] = services.servers.list();
    const session = await services.pool.get(server!);
    await asCustomer('carol', domain, async (customer, plesk) => {
      const { page } = customer;
      expect(await page.locator('#rollback').count(), 'nothing changed yet: nothing to roll back').to.equal(0);
      await page.selectOption('#f-passenger_sticky_sessions', 'on');
      await page.click('#plan-edits');
      await page.waitForSelector('#plan #confirm-change');
      const [planned] = await page.locator('#plan figcaption code').allInnerTexts();
      expect(planned, 'the plan names the file it writes').to.be.a('string');

      // The file changes behind the panel's back after the preview: confirming the old plan is refused.
      await session.exec(['sh', '-c', 'printf "# edited by the site owner\n" >> "$1"', 'sh', planned!]);
      const [edited] = await readFiles(session, [planned!]);
      const confirmOld = page.waitForResponse((r) => r.url().endsWith('/apply') && r.request().method() === 'POST');
      await page.click('#confirm-change');
      expect((await confirmOld).status()).to.equal(409);
      await page.waitForSelector('#plan');
      expect(await page.locator('.msg-error').innerText()).to.match(/changed since the plan was shown.*Nothing was written/);
      expect(await page.locator('#progress').count(), 'no job was started').to.equal(0);
      const [after409] = await readFiles(session, [planned!]);
      expect(after409!.sha256, 'nothing written').to.equal(edited!.sha256);
      await customer.shot('customer-stale-confirm.png');

      // The page shows the plan as it stands now; confirming that one goes through.
      await page.click('#confirm-change');
      const result = page.locator('#progress .job-result');
      await result.waitFor({ state: 'visible', timeout: 120_000 });
      expect(await result.innerText()).to.match(/^Verified/);
      await page.goto(`${plesk.url}/domains/${domain}`);
      expect(await page.locator('#rollback').count(), 'her own newest change: she may roll it back').to.equal(1);

      // The admin rolls her change back: that change is the admin's, and she may not undo it.
      await admin.page.goto(`${panel.url}/domains/${domain}`);
      await admin.page.click('#rollback');
      await admin.page.click('#confirm-change');
      const adminResult = admin.page.locator('#progress .job-result');
      await adminResult.waitFor({ state: 'visible', timeout: 120_000 });
      expect(await adminResult.innerText()).to.match(/^Verified/);

      await page.goto(`${plesk.url}/domains/${domain}`);
      expect(await page.locator('#rollback').count(), "no rollback offered over the admin's change").to.equal(0);
      const refused = await page.evaluate(async (base) => {
        const csrf = document.querySelector('meta[name="csrf-token"]')?.getAttribute('content') ?? '';
        const post = async (path: string, body: string) => {
          const res = await fetch(`${base}${path}`, {
            method: 'POST',
            headers: { 'x-csrf-token': csrf, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
            body,
          });
          return { status: res.status, body: (await res.json()) as { error: string; message: string } };
        };
        return [await post('/plan', 'action=rollback'), await post('/apply', `action=rollback&planDigest=${'0'.repeat(64)}`)];
      }, `${plesk.url}/domains/${domain}`);
      for (const answer of refused) {
        expect(answer.status, JSON.stringify(answer)).to.equal(403);
        expect(answer.body.error).to.equal('rollback_forbidden');
        expect(answer.body.message).to.match(/made by admin, not by you/);
      }
      expect(customer.takeErrors(/status of (403|409)/), 'console errors').to.deep.equal([]);
      expect(admin.takeErrors(), 'admin console errors').to.deep.equal([]);
    });
  });

  /** A Plesk-mode panel over the same services, and a customer's browser logged in to it with a token for one domain. */
  async function asCustomer(
    sub: string,
    domain: string,
    act: (customer: BrowserUnderTest, plesk: RunningPanel) => Promise<void>,
  ): Promise<void> {
    const secret = randomBytes(32);
    const plesk = await startPanel({
      services: panelServices,
      mode: 'plesk',
      port: 0,
      tokenSecret: secret,
      log: { info: () => {}, error: () => {} },
    });
    const customer = await BrowserUnderTest.launch();
    try {
      const now = Math.floor(Date.now() / 1000);
      const jti = randomBytes(16).toString('hex');
      const token = mintToken(secret, {
        v: 1,
        iss: 'plesk',
        sub,
        role: 'customer',
        domains: [domain],
        open: domain,
        iat: now,
        exp: now + 60,
        jti,
      });
      // What Plesk's launch page does: a form on the panel's origin posts the token (never a GET link).
      await postPleskLaunch(customer.page, plesk.url, token, `/domains/${domain}`);
      await act(customer, plesk);
    } finally {
      await customer.close();
      await plesk.close();
    }
  }
});
