import { expect } from 'chai';
import type { SshExecOptions, SshExecResult } from '../../../backend/src/ssh/session.js';
import type { RemoteRunner } from '../../../backend/src/ssh/runner.js';
import { readAppProcesses } from '../../../backend/src/verify/app-processes.js';
import { restartGroupBody } from '../../../backend/src/verify/core-api.js';
import { restartApp } from '../../../backend/src/verify/restart.js';

/** A pool.xml as the core API serves it (the elements the reader uses), one group per app root. */
function poolXml(apps: Record<string, { pid: number; gupid: string; enabled?: string }[]>, minProcesses = 1): string {
  const groups = Object.entries(apps).map(([root, processes]) => {
    const name = `${root} &#40;production&#41;`;
    const procs = processes
      .map(
        (p) =>
          `<process><pid>${p.pid}</pid><gupid>${p.gupid}</gupid><sessions>0</sessions><processed>1</processed><busyness>0</busyness><concurrency>0</concurrency><life_status>ALIVE</life_status><enabled>${p.enabled ?? 'ENABLED'}</enabled></process>`,
      )
      .join('');
    return `<supergroup><name>${name}</name><group default="true"><name>${name}</name><app_root>${root}</app_root><app_type>nodejs</app_type><environment>production</environment><enabled_process_count>${processes.length}</enabled_process_count><options><min_processes>${minProcesses}</min_processes></options><processes>${procs}</processes></group></supergroup>`;
  });
  return `<?xml version="1.0" encoding="iso-8859-1" ?>\n<info version="3"><passenger_version>6.0.17</passenger_version><group_count>${groups.length}</group_count><process_count>1</process_count><max>6</max><capacity_used>1</capacity_used><get_wait_list_size>0</get_wait_list_size><supergroups>${groups.join('')}</supergroups></info>`;
}

type Handler = (argv: readonly string[], script: string | undefined, args: readonly string[]) => SshExecResult | Promise<SshExecResult>;

/** Records every command and answers from a script: the server side of these tests. */
class ScriptedRunner implements RemoteRunner {
  readonly name = 'scripted';
  readonly calls: { argv: readonly string[]; script?: string; args: readonly string[] }[] = [];
  constructor(private readonly handler: Handler) {}
  async exec(argv: readonly string[], _opts?: SshExecOptions): Promise<SshExecResult> {
    this.calls.push({ argv, args: [] });
    return this.handler(argv, undefined, []);
  }
  async execScript(script: string, args: readonly string[] = [], _opts?: SshExecOptions): Promise<SshExecResult> {
    this.calls.push({ argv: ['sh', '-c', script], script, args });
    return this.handler(['sh', '-c', script], script, args);
  }
}

const ok = (stdout: string): SshExecResult => ({ stdout, stderr: '', code: 0 });
const isPoolRead = (script?: string) => script?.includes('/pool.xml') ?? false;
const isRestart = (script?: string) => script?.includes('/pool/restart_app_group.json') ?? false;

const SHORT = '/var/www/vhosts/example.com/httpdocs';
const LONGER = '/var/www/vhosts/example.com.au/httpdocs';

describe('verify/restart (scripted server)', () => {
  it('restarts exactly the app group of the root, never another whose root shares its prefix', async () => {
    let restarted = false;
    const pool = () =>
      poolXml({
        [SHORT]: restarted ? [{ pid: 20, gupid: 'new-20' }] : [{ pid: 10, gupid: 'old-10' }],
        [LONGER]: [{ pid: 11, gupid: 'au-11' }],
      });
    const runner = new ScriptedRunner((_argv, script) => {
      if (isRestart(script)) {
        restarted = true;
        return ok(pool()); // the command's own last look at the pool, once the new process serves
      }
      if (isPoolRead(script)) return ok(pool());
      throw new Error(`unexpected command: ${_argv.join(' ').slice(0, 80)}`);
    });
    const result = await restartApp(runner, SHORT, { serves: async () => ({ ok: true, detail: 'handshake ok' }), pollMs: 1 });
    expect(result.groups).to.deep.equal([`${SHORT} (production)`]);
    expect(result.after.map((p) => p.pid)).to.deep.equal([20]);
    const restarts = runner.calls.filter((c) => isRestart(c.script));
    // The group by name, then what to wait for on the server: its root as the XML has it, 1 new
    // process (min instances), up to 10 s, not the old gupid.
    expect(restarts.map((c) => c.args)).to.deep.equal([
      [restartGroupBody(`${SHORT} (production)`), `<app_root>${SHORT}</app_root>`, '1', '10000', 'old-10'],
    ]);
    expect(
      runner.calls.filter((c) => isPoolRead(c.script) && !isRestart(c.script)),
      'one read before, none after',
    ).to.have.length(1);
    expect(JSON.parse(restarts[0]!.args[0]!)).to.deep.equal({ name: `${SHORT} (production)`, restart_method: 'blocking' });
    // Passwords go to curl on its stdin, never into an argument other local users could read.
    expect(restarts[0]!.script).to.match(/-K -/);
  });

  it('without curl on the server, names the group to passenger-config instead of a path prefix', async () => {
    let restarted = false;
    const runner = new ScriptedRunner((argv, script) => {
      if (script) return { stdout: '', stderr: '', code: 90 };
      if (argv[0] === 'passenger-status')
        return ok(
          poolXml({
            [SHORT]: restarted ? [{ pid: 21, gupid: 'new-21' }] : [{ pid: 10, gupid: 'old-10' }],
            [LONGER]: [{ pid: 11, gupid: 'au' }],
          }),
        );
      if (argv[0] === 'passenger-config') {
        restarted = true;
        return ok('Restarting ...');
      }
      throw new Error(`unexpected command: ${argv.join(' ')}`);
    });
    const result = await restartApp(runner, SHORT, { serves: async () => ({ ok: true, detail: 'ok' }), pollMs: 1 });
    expect(result.after.map((p) => p.pid)).to.deep.equal([21]);
    const configCalls = runner.calls.filter((c) => c.argv[0] === 'passenger-config').map((c) => c.argv);
    expect(configCalls).to.deep.equal([['passenger-config', 'restart-app', '--name', `${SHORT} (production)`, '--ignore-app-not-running']]);
  });

  it('reports a refused restart with the answer instead of waiting for the deadline', async () => {
    const runner = new ScriptedRunner((_argv, script) => {
      if (isRestart(script)) return { stdout: '', stderr: '/tmp/passenger.x answered HTTP 401', code: 92 };
      return ok(poolXml({ [SHORT]: [{ pid: 10, gupid: 'old-10' }] }));
    });
    let caught: unknown;
    try {
      await restartApp(runner, SHORT, { serves: async () => ({ ok: true, detail: 'ok' }), pollMs: 1 });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error)?.message).to.match(/restart_app_group\.json failed on the server: .*HTTP 401/);
  });
});

describe('verify/restart of an app with min instances 0 (scripted server)', () => {
  it('lets its own request spawn the new process, and counts that request as the proof it serves', async () => {
    let phase: 'old' | 'none' | 'new' = 'old';
    const runner = new ScriptedRunner((_argv, script, args) => {
      if (isRestart(script)) {
        expect(args.slice(2, 4), 'nothing to wait for on the server: only a request spawns').to.deep.equal(['0', '0']);
        phase = 'none';
        return ok('');
      }
      const processes = { old: [{ pid: 10, gupid: 'old' }], none: [], new: [{ pid: 30, gupid: 'new' }] }[phase];
      return ok(poolXml({ [SHORT]: processes }, 0));
    });
    let serveChecks = 0;
    const result = await restartApp(runner, SHORT, {
      serves: async () => {
        serveChecks++;
        phase = 'new'; // the request made Passenger spawn a process
        return { ok: true, detail: 'handshake ok' };
      },
      pollMs: 1,
    });
    expect(result.after.map((p) => p.pid)).to.deep.equal([30]);
    expect(serveChecks).to.equal(1);
  });
});

describe('verify/pool-reads (scripted server)', () => {
  it('shares one pool read between checks that ask at the same time, and never hands out a read older than the ask', async () => {
    let reads = 0;
    const started: number[] = [];
    const runner = new ScriptedRunner(async (_argv, script) => {
      if (!isPoolRead(script)) throw new Error('only pool reads expected');
      reads++;
      started.push(reads);
      await new Promise((r) => setTimeout(r, 20));
      return ok(poolXml({ [SHORT]: [{ pid: 100 + reads, gupid: `g${reads}` }], [LONGER]: [{ pid: 200 + reads, gupid: `h${reads}` }] }));
    });
    const first = await Promise.all([readAppProcesses(runner, SHORT), readAppProcesses(runner, LONGER)]);
    expect(reads).to.equal(1);
    expect(first.map((a) => a.processes[0]?.pid)).to.deep.equal([101, 201]);

    // Asked while read 2 is under way: read 2 may predate what the caller waits for, so it gets read 3.
    const second = readAppProcesses(runner, SHORT);
    await new Promise((r) => setTimeout(r, 5));
    const [late, alsoLate] = await Promise.all([readAppProcesses(runner, SHORT), readAppProcesses(runner, LONGER)]);
    expect((await second).processes[0]?.pid).to.equal(102);
    expect(late.processes[0]?.pid).to.equal(103);
    expect(alsoLate.processes[0]?.pid).to.equal(203);
    expect(reads).to.equal(3);
  });
});
