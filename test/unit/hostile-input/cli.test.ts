import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import Database from 'better-sqlite3';
import { expect } from 'chai';
import { pino } from 'pino';
import { runCli } from '../../../backend/src/cli/run.js';
import { createServices, type Services, webPanel } from '../../../backend/src/main.js';
import { DATABASE_FILE } from '../../../backend/src/store/index.js';
import { tally } from './tally.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

const FP = 'SHA256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU';

/** Domains no command may accept: control characters, line breaks, paths, oversized labels, look-alikes, syntax. */
const HOSTILE_DOMAINS = [
  'a\u0001.test',
  'a.test\n',
  'a.test\r\nPassengerEnabled off',
  'a\u001b[2J.test',
  'a\u0000.test',
  '../etc/passwd',
  'a.test/../b.test',
  `${'a'.repeat(300)}.test`,
  `${'a.'.repeat(127)}test`,
  'аpple.test',
  'ｅxample.test',
  'bücher.test',
  'a b.test',
  'a;b.test',
  'a}.test',
  'a{.test',
  'a#b.test',
  '"a.test"',
  "a'.test",
  'a..test',
  '.a.test',
  '*.test',
  '$(id).test',
];

interface CliCase {
  argv: string[];
  /** What the error must say: the option, argument or directive it refuses. */
  names: RegExp;
}

describe('hostile input: command line', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'pp-hostile-cli-'));
  const dataDir = join(dir, 'data');
  const key = join(dir, 'id');
  const config = join(dir, 'config.json');
  writeFileSync(key, 'only needs to exist');
  // Port 1 on loopback: a command that got as far as connecting would fail with exit 4, not 2.
  writeFileSync(
    config,
    JSON.stringify({ servers: [{ name: 'web1', host: '127.0.0.1', port: 1, privateKeyPath: key, hostKeyFingerprint: FP }] }),
  );
  after(() => rmSync(dir, { recursive: true, force: true }));

  let opened: Services[] = [];
  async function cli(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const stdout = new Capture();
    const stderr = new Capture();
    const code = await runCli([...argv, '--data', dataDir, '--config', config], {
      stdout,
      stderr,
      web: webPanel,
      createServices: async (options) => {
        const services = await createServices({
          ...options,
          logger: pino({ level: 'silent' }),
          demoConnectionPath: join(dir, 'no-demo.json'),
        });
        opened.push(services);
        return services;
      },
    });
    return { code, stdout: stdout.text, stderr: stderr.text };
  }

  /** Rows per table of the store: what "nothing written" is measured against. */
  function rowCounts(): Record<string, number> {
    const db = new Database(join(dataDir, DATABASE_FILE), { readonly: true });
    try {
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'").all() as {
        name: string;
      }[];
      return Object.fromEntries(
        tables.map(({ name }) => [name, (db.prepare(`SELECT count(*) AS n FROM "${name}"`).get() as { n: number }).n]),
      );
    } finally {
      db.close();
    }
  }

  let baseline: Record<string, number>;
  before(async () => {
    const first = await cli(['servers', '--json']);
    expect(first.code, first.stderr).to.equal(0);
    baseline = rowCounts();
    expect(baseline).to.have.property('jobs', 0);
  });

  const set = (domain: string, ...rest: string[]) => ['set', domain, ...(rest.length ? rest : ['passenger_min_instances=1'])];

  const cases: CliCase[] = [
    // domains, through every command that takes one
    ...HOSTILE_DOMAINS.flatMap((d) => [
      { argv: set(d), names: /is not a domain name/ },
      { argv: ['apply', d, '--profile', 'socketio-safe'], names: /is not a domain name/ },
    ]),
    ...HOSTILE_DOMAINS.slice(0, 6).flatMap((d) => [
      { argv: ['rollback', d], names: /is not a domain name/ },
      { argv: ['verify', d], names: /is not a domain name/ },
      { argv: ['history', d], names: /is not a domain name/ },
      { argv: ['show', d], names: /is not a domain name/ },
      { argv: ['bulk', '--profile', 'socketio-safe', '--domain', `web1:${d}`], names: /is not a domain name/ },
    ]),
    { argv: ['set', '-rf'], names: /Unknown option '-r'/ },
    // directive assignments
    ...[
      ['passenger_min_instances=-1', /passenger_min_instances/],
      ['passenger_min_instances=99999999999999999999', /passenger_min_instances/],
      ['passenger_min_instances=1e3', /passenger_min_instances/],
      ['passenger_min_instances=0x10', /passenger_min_instances/],
      ['passenger_min_instances=1\nPassengerMaxPoolSize 99', /passenger_min_instances.*line break/],
      ['passenger_min_instances=true', /passenger_min_instances/],
      ['passenger_app_env=prod;', /passenger_app_env.*";"/],
      ['passenger_app_env=prod\n}', /passenger_app_env.*line break/],
      ['passenger_app_env=a}', /passenger_app_env/],
      ['passenger_app_env=</IfModule>', /passenger_app_env/],
      ['passenger_app_env="x"', /passenger_app_env/],
      ['passenger_app_env=x\\', /passenger_app_env/],
      ['passenger_app_env=$HOME', /passenger_app_env/],
      ['passenger_app_env=`id`', /passenger_app_env/],
      ['passenger_app_env=x\u0000', /passenger_app_env.*control character/],
      ['passenger_app_env=ｐrod', /passenger_app_env.*non-ASCII/],
      [`passenger_app_env=${'x'.repeat(2000)}`, /passenger_app_env.*1024/],
      ['passenger_app_type=perl', /passenger_app_type/],
      ['passenger_app_root=../../etc', /passenger_app_root/],
      ['passenger_app_root=relative/dir', /passenger_app_root/],
      ['passenger_nodejs=node; rm -rf /', /passenger_nodejs/],
      ['passenger_sticky_sessions=maybe', /passenger_sticky_sessions/],
      ['passenger_sticky_sessions_cookie_name=a b', /passenger_sticky_sessions_cookie_name/],
      ['passenger_sticky_sessions_cookie_attributes=SameSite=None', /cookie_attributes.*Secure/],
      ['passenger_sticky_sessions_cookie_attributes=Evil=1', /cookie_attributes.*Evil/],
      ['PassengerMaxInstances=2', /Enterprise/],
      ['passenger_max_pool_size=5', /whole server/],
      ['passenger_evil=1', /Unknown directive "passenger_evil"/],
      ['Include=/etc/passwd', /Unknown directive "Include"/],
      ['=1', /is not KEY=VALUE/],
      ['nokey', /is not KEY=VALUE/],
    ].map(([assignment, names]) => ({ argv: set('a.test', assignment as string), names: names as RegExp })),
    { argv: ['set', 'a.test'], names: /at least one KEY=VALUE/ },
    // options: unknown ones, huge and overflowing numbers, ids with syntax in them
    { argv: ['apply', 'a.test', '--profile', 'evil'], names: /--profile socketio-safe/ },
    { argv: ['apply', 'a.test', '--profile', 'socketio-safe', '--force'], names: /Unknown option '--force'/ },
    { argv: ['apply', 'a.test', '--profile'], names: /--profile/ },
    { argv: ['set', 'a.test', 'passenger_min_instances=1', '--server', 'web1\nweb2'], names: /web1/ },
    { argv: ['set', 'a.test', 'passenger_min_instances=1', '--server', '../web1'], names: /server/ },
    { argv: ['rollback', 'a.test', '--to', 'cp_x\n'], names: /--to/ },
    { argv: ['rollback', 'a.test', '--to', '../../cp'], names: /--to/ },
    { argv: ['rollback', 'a.test', '--to', `cp_${'x'.repeat(100)}`], names: /--to/ },
    { argv: ['rollback', 'a.test', '--to', "cp'; DROP TABLE jobs; --"], names: /--to/ },
    ...['0', '-1', '65', '1e3', '0x10', '99999999999999999999999', ' 5', '5\n', '５', '1.5', ''].map((n) => ({
      argv: ['bulk', '--profile', 'socketio-safe', '--where', 'all', '--concurrency', n],
      names: /--concurrency/,
    })),
    ...['-1', '100001', '1e9'].map((n) => ({
      argv: ['bulk', '--profile', 'socketio-safe', '--where', 'all', '--max-fail', n],
      names: /--max-fail/,
    })),
    ...['0', '601', '-5'].map((n) => ({
      argv: ['bulk', '--profile', 'socketio-safe', '--where', 'all', '--watch-seconds', n],
      names: /--watch-seconds/,
    })),
    { argv: ['bulk', '--profile', 'socketio-safe', '--where', 'all; rm'], names: /--where/ },
    { argv: ['bulk', '--profile', 'socketio-safe', '--where', 'all', '--domain', 'a.test'], names: /either --where/ },
    { argv: ['bulk', '--profile', 'evil', '--where', 'all'], names: /--profile/ },
    ...['0', '-1', '1001', 'all'].map((n) => ({ argv: ['jobs', '--limit', n], names: /--limit/ })),
    { argv: ['job', 'resume'], names: /no job resume/ },
    { argv: ['job', 'evil', 'job_x'], names: /unknown job action/ },
    { argv: ['job', 'job_x\n'], names: /no job/ },
    // servers add: every field of a server definition
    ...[
      [['--host', 'h;reboot'], /host/],
      [['--host', '-oProxyCommand=sh'], /host/],
      [['--host', 'h\nx'], /host/],
      [['--port', '-1'], /--port/],
      [['--port', '65536'], /--port/],
      [['--port', '99999999999999999999999'], /--port/],
      [['--port', '22.0'], /--port/],
      [['--user=-l'], /username/],
      [['--user', 'root\nx'], /username/],
      [['--fingerprint', 'SHA256:x'], /hostKeyFingerprint/],
      [['--key', `${join(dir, 'id')}\nx`], /privateKeyPath/],
    ].map(([flags, names]) => ({
      argv: ['servers', 'add', 'web2', '--host', '192.0.2.1', '--key', key, '--fingerprint', FP, ...(flags as string[])],
      names: names as RegExp,
    })),
    { argv: ['servers', 'add', 'web\n2', '--host', '192.0.2.1', '--key', key, '--fingerprint', FP], names: /name/ },
    { argv: ['servers', 'add', '../web2', '--host', '192.0.2.1', '--key', key, '--fingerprint', FP], names: /name/ },
    // serve: flags are checked before anything starts
    { argv: ['serve', '--port', '-1'], names: /port/ },
    { argv: ['serve', '--port', '70000'], names: /port/ },
    { argv: ['serve', '--mode', 'evil'], names: /mode/ },
    // unknown commands and directives-as-commands
    { argv: ['sett', 'a.test'], names: /unknown command "sett"/ },
    { argv: ['Include', '/etc/passwd'], names: /unknown command/ },
    { argv: ['\u001b[2Jevil'], names: /unknown command/ },
    { argv: ['help', '\u001b]0;owned\u0007'], names: /unknown command/ },
    { argv: ['set', 'a.test', 'passenger_min_instances=1', '--\u001b[2J'], names: /Unknown option/ },
    { argv: ['job', 'resume', 'job_\u001b[2J'], names: /No change job/ },
  ];

  it(`refuses ${cases.length} hostile command lines with exit code 2 and a message naming what was refused, writing nothing`, async () => {
    const problems: string[] = [];
    for (const c of cases) {
      opened = [];
      const label = JSON.stringify(c.argv).slice(0, 160);
      const { code, stderr } = await cli(c.argv);
      const written = rowCounts();
      const execs = opened.reduce((n, s) => n + s.pool.execCount(), 0);
      if (code !== 2) problems.push(`${label}: exit ${code}: ${stderr.trim().slice(0, 200)}`);
      else if (!c.names.test(stderr)) problems.push(`${label}: message does not match ${c.names}: ${stderr.trim().slice(0, 200)}`);
      else if (JSON.stringify(written) !== JSON.stringify(baseline)) problems.push(`${label}: wrote ${JSON.stringify(written)}`);
      else if (execs !== 0) problems.push(`${label}: ran ${execs} remote command(s)`);
      if (!/^error: /m.test(stderr)) problems.push(`${label}: no "error:" line`);
      // The terminal never receives a raw control character echoed from the input.
      if (/[^\P{Cc}\n]/u.test(stderr)) problems.push(`${label}: control character echoed`);
      tally('cli');
    }
    expect(problems, problems.join('\n')).to.deep.equal([]);
  });
});
