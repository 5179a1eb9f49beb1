import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { pino } from 'pino';
import { io as connectSocket, type Socket } from 'socket.io-client';
import { createServices, type Services } from '../../../backend/src/main.js';
import { type RunningPanel, startPanel } from '../../../backend/src/web/app.js';
import { changeJobs } from '../../../backend/src/web/change-jobs.js';
import type { WatchReply } from '../../../backend/src/web/sockets.js';
import { demoInventory } from '../../support/demo-inventory.js';
import { SeededInventory } from '../../support/seeded-inventory.js';
import { tally } from './tally.js';

const FP = 'SHA256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU';
const DOMAIN = 'multi.demo.test';

/** Values no directive of the edit form may take: syntax of both servers, control characters, look-alikes, overflow. */
const HOSTILE_VALUES = [
  '1\nPassengerMaxPoolSize 99',
  '1\r\nInclude /etc/passwd',
  'on\u0000',
  'on\u001b[2J',
  'x\u0085',
  '１',
  'ｏn',
  '"on"',
  "'on'",
  'on}',
  '{on',
  '</IfModule>',
  '<Directory />',
  'on;',
  'on\\',
  '$HOME',
  '`id`',
  'x'.repeat(5000),
];

/** Numbers no integer or on/off field may take (several are fine cookie names, so that field is left out). */
const HOSTILE_NUMBERS = ['99999999999999999999', '-99999999999999999999', '1e3', '0x10', '1.5', 'NaN'];

/** Keys of the apache demo domain's form, one per type. */
const KEYS = [
  'passenger_min_instances',
  'passenger_sticky_sessions',
  'passenger_sticky_sessions_cookie_name',
  'passenger_sticky_sessions_cookie_attributes',
];

describe('hostile input: web forms and socket events', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pp-hostile-web-'));
  const key = join(dir, 'id');
  const config = join(dir, 'config.json');
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
  // Port 1 on loopback: a request that got as far as a server would fail there, not at the input check.
  writeFileSync(
    config,
    JSON.stringify({ servers: [{ name: 'demo', host: '127.0.0.1', port: 1, privateKeyPath: key, hostKeyFingerprint: FP }] }),
  );

  let services: Services;
  let panel: RunningPanel;
  let cookie = '';
  let csrf = '';

  before(async () => {
    services = await createServices({
      configPath: config,
      dataDir: dir,
      databasePath: ':memory:',
      demoConnectionPath: join(dir, 'none.json'),
      logger: pino({ level: 'silent' }),
    });
    const { domains, jobs } = changeJobs({
      servers: services.servers,
      inventory: new SeededInventory(services.pool, demoInventory),
      changes: services.changes,
      runner: services.runner,
      store: services.store,
      events: services.events,
    });
    panel = await startPanel({ services: { domains, jobs }, mode: 'standalone', port: 0, log: { info: () => {}, error: () => {} } });
    const login = await fetch(panel.loginUrl!, { redirect: 'manual' });
    cookie = login.headers
      .getSetCookie()
      .map((c) => c.split(';')[0]!)
      .find((c) => c.startsWith('pp_session='))!;
    const page = await (await fetch(`${panel.url}/domains/${DOMAIN}`, { headers: { cookie } })).text();
    csrf = /<meta name="csrf-token" content="([^"]+)"/.exec(page)![1]!;
  });
  after(async () => {
    await panel?.close();
    await services?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  function rowCounts(): Record<string, number> {
    const tables = ['jobs', 'job_domains', 'checkpoints', 'changes', 'events'];
    return Object.fromEntries(tables.map((t) => [t, (services.db.prepare(`SELECT count(*) AS n FROM ${t}`).get() as { n: number }).n]));
  }

  /** Posts with the session's CSRF token (so a refusal is the input check, not CSRF); JSON when the body has non-strings. */
  async function post(path: string, body: Record<string, unknown>): Promise<{ status: number; text: string }> {
    const json = Object.values(body).some((v) => typeof v !== 'string');
    const res = await fetch(`${panel.url}${path}`, {
      method: 'POST',
      redirect: 'manual',
      headers: {
        cookie,
        'x-csrf-token': csrf,
        'content-type': json ? 'application/json' : 'application/x-www-form-urlencoded',
      },
      body: json ? JSON.stringify(body) : new URLSearchParams(body as Record<string, string>).toString(),
    });
    return { status: res.status, text: await res.text() };
  }

  it('the form itself works: a plain value reaches the plan step (which then needs the server)', async () => {
    const before = rowCounts();
    const res = await post(`/domains/${DOMAIN}/plan`, { action: 'set', 'set.passenger_min_instances': '2' });
    // Past the input check the plan reads the server, unreachable here: the page says so, not something about the value.
    const text = res.text.replace(/<[^>]+>/g, ' ').replace(/\s+/g, ' ');
    expect(text, text.slice(0, 2000))
      .to.match(/server demo: cannot connect/)
      .and.not.match(/Value for/);
    expect(rowCounts()).to.deep.equal(before);
  });

  interface WebCase {
    label: string;
    path: string;
    body: Record<string, unknown>;
    status: number;
    /** What the page must say: the field's error, or the form-wide one. */
    says: RegExp;
  }

  const formCases: WebCase[] = [
    ...['plan', 'apply'].flatMap((step) =>
      KEYS.flatMap((k) =>
        [...HOSTILE_VALUES, ...(k.endsWith('_name') ? [] : HOSTILE_NUMBERS)].map((value) => ({
          label: `${step} ${k}=${JSON.stringify(value.slice(0, 30))}`,
          path: `/domains/${DOMAIN}/${step}`,
          body: { action: 'set', [`set.${k}`]: value },
          status: 400,
          says: new RegExp(`Value for ${k}`),
        })),
      ),
    ),
    ...['plan', 'apply'].flatMap((step) => [
      {
        label: `${step}: value and remove together`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: 'set', 'set.passenger_min_instances': '1', 'unset.passenger_min_instances': 'on' },
        status: 400,
        says: /Either give a new value or remove/,
      },
      {
        label: `${step}: nothing filled in`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: 'set' },
        status: 400,
        says: /Fill in at least one field/,
      },
      {
        label: `${step}: only fields the form does not have`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: 'set', 'set.passenger_max_pool_size': '99', 'set.PassengerMaxInstances': '4', 'set.Include': '/etc/passwd' },
        status: 400,
        says: /Fill in at least one field/,
      },
      ...[['delete'], ['']].map(([action]) => ({
        label: `${step}: action ${JSON.stringify(action)}`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: action! },
        status: 400,
        says: /Unknown action/,
      })),
      ...[['set'], { $ne: 'x' }, 7, null].map((action) => ({
        label: `${step}: action ${JSON.stringify(action)} (JSON)`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action },
        status: 400,
        says: /Unknown action/,
      })),
      ...['2\n', '\t2\r\n', '2\r', '\u00a02'].map((value) => ({
        label: `${step}: a number wrapped in ${JSON.stringify(value.replace('2', ''))}`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: 'set', 'set.passenger_min_instances': value },
        status: 400,
        says: /min.?instances/i,
      })),
      ...[7, true, ['1', '2'], { value: '1' }].map((value) => ({
        label: `${step}: a ${Array.isArray(value) ? 'list' : typeof value} as the value (JSON)`,
        path: `/domains/${DOMAIN}/${step}`,
        body: { action: 'set', 'set.passenger_min_instances': value },
        status: 400,
        says: /passenger_min_instances: give one text value/,
      })),
    ]),
    // Domains in the path that no server hosts: the page says so, nothing is planned.
    ...['..%2F..%2Fetc%2Fpasswd', 'multi.demo.test%0A', 'multi.demo.test%00', 'mu%D0%BFti.demo.test', `${'a'.repeat(300)}.test`].map(
      (d) => ({
        label: `plan for ${d.slice(0, 40)}`,
        path: `/domains/${d}/plan`,
        body: { action: 'profile' },
        status: 404,
        says: /No server of this panel hosts/,
      }),
    ),
  ];

  it(`refuses ${formCases.length} hostile domain form posts with the field's error, writing nothing and running nothing`, async () => {
    const before = rowCounts();
    const problems: string[] = [];
    for (const c of formCases) {
      const res = await post(c.path, c.body);
      const text = res.text.replace(/&quot;/g, '"').replace(/&#x27;/g, "'");
      if (res.status !== c.status) problems.push(`${c.label}: status ${res.status}: ${text.slice(0, 200)}`);
      else if (!c.says.test(text)) problems.push(`${c.label}: the page does not say ${c.says}`);
      tally('web');
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
    expect(rowCounts(), 'rows written').to.deep.equal(before);
    expect(services.pool.execCount(), 'remote commands run').to.equal(0);
  });

  describe('socket events', () => {
    let socket: Socket;
    before(async () => {
      socket = connectSocket(panel.url, { path: '/socket.io', transports: ['websocket'], extraHeaders: { cookie }, reconnection: false });
      await new Promise<void>((resolve, reject) => {
        socket.on('connect', () => resolve());
        socket.on('connect_error', reject);
      });
    });
    after(() => socket?.disconnect());

    const hostileIds: unknown[] = [
      5,
      -1,
      1e308,
      0,
      true,
      false,
      null,
      {},
      { id: 'job_x' },
      { toString: 'job_x' },
      ['job_x'],
      [],
      '',
      ' ',
      '*',
      '%',
      '../jobs',
      'job_x\n',
      "job_x' OR '1'='1",
      'job_\u0000',
      'jоb_x',
      '__proto__',
      'constructor',
      'hasOwnProperty',
      'a'.repeat(100_000),
    ];

    it(`answers ${hostileIds.length} hostile job:watch ids with "no such job", and stays usable`, async () => {
      const before = rowCounts();
      for (const id of hostileIds) {
        const reply = (await socket.timeout(5000).emitWithAck('job:watch', id as string)) as WatchReply;
        expect(reply, JSON.stringify(id).slice(0, 60)).to.deep.equal({ ok: false, error: 'no such job' });
        tally('socket');
      }
      for (const id of hostileIds) socket.emit('job:unwatch', id as string);
      tally('socket', hostileIds.length);
      // Watch requests without a reply function and with extra arguments are ignored, not fatal.
      socket.emit('job:watch', 'job_x');
      socket.emit('job:watch', 'job_x', 'not a function');
      tally('socket', 2);
      const job = services.store.jobs.create({ kind: 'apply', actor: 'admin', request: {}, status: 'succeeded' });
      services.store.jobs.setDomainState(job.id, 'demo', DOMAIN, 'verified');
      const ok = (await socket.timeout(5000).emitWithAck('job:watch', job.id)) as WatchReply;
      expect(ok.ok, 'a real job can still be watched on the same socket').to.equal(true);
      const after = rowCounts();
      expect(after, 'only the job this test made').to.deep.include({
        jobs: (before.jobs ?? 0) + 1,
        changes: before.changes,
        checkpoints: before.checkpoints,
      });
    });

    it('closes the connection on an id larger than the message limit', async () => {
      const big = connectSocket(panel.url, {
        path: '/socket.io',
        transports: ['websocket'],
        extraHeaders: { cookie },
        reconnection: false,
      });
      await new Promise<void>((resolve) => big.on('connect', () => resolve()));
      const closed = new Promise<string>((resolve) => big.on('disconnect', (reason) => resolve(reason)));
      big.emit('job:watch', 'j'.repeat(2_000_000), () => {});
      expect(await closed).to.equal('transport close');
      tally('socket');
    });

    it('refuses a socket without a session cookie, or with a forged one', async () => {
      for (const header of ['', 'pp_session=forged', `${cookie}x`, 'pp_session=%00', `pp_session=${'a'.repeat(4000)}`]) {
        const s = connectSocket(panel.url, {
          path: '/socket.io',
          transports: ['websocket'],
          reconnection: false,
          ...(header ? { extraHeaders: { cookie: header } } : {}),
        });
        const error = await new Promise<Error>((resolve) => s.on('connect_error', resolve));
        s.disconnect();
        expect(error.message).to.match(/unauthorized|log in/);
        tally('socket');
      }
    });
  });
});
