import { expect } from 'chai';
import Database from 'better-sqlite3';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { REPO_ROOT, resetHost } from '../support/testhost.js';
import { createHash } from 'node:crypto';
import { readFileSync, existsSync } from 'node:fs';

// Changes demo domains on the test host: run under `flock /var/lock/pp-host.lock`.
// The backend runs as a real child process (the CLI), is killed with SIGKILL mid-job, and a second
// process finds the job interrupted, reads each domain back from the server and resumes it.
const MAIN = path.join(REPO_ROOT, 'dist', 'backend', 'src', 'main.js');

function cli(dataDir: string, args: string[]): ChildProcess {
  return spawn(process.execPath, [MAIN, ...args, '--data', dataDir], {
    env: { ...process.env, PASSENGER_PANEL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
}

function finish(child: ChildProcess): Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  child.stdout?.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })));
}

async function runCli(dataDir: string, args: string[]) {
  return finish(cli(dataDir, args));
}

/** The demo host's files are on this machine: hash them directly, without a session of our own. */
function sha(file: string): string {
  return existsSync(file) ? createHash('sha256').update(readFileSync(file)).digest('hex') : 'absent';
}

describe('bulk job resume after the backend is killed mid-job (changes host state)', function () {
  this.timeout(240_000);
  let dataDir: string;

  before(async () => {
    await resetHost();
    dataDir = mkdtempSync(path.join(tmpdir(), 'pp-bulk-resume-'));
  });

  after(async () => {
    await resetHost();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('shows the job interrupted with each domain read back, then resumes it to the end with no domain half-written', async () => {
    const child = cli(dataDir, [
      'bulk',
      '--profile',
      'socketio-safe',
      '--where',
      'at-risk',
      '--server',
      'demo',
      '--concurrency',
      '1',
      '--watch-seconds',
      '2',
    ]);
    const done = finish(child);
    const dbPath = path.join(dataDir, 'passenger-panel.sqlite');
    // Kill the backend as soon as the first domain is proved: the others are written but unverified.
    let killedAt: string[] = [];
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 100));
      let states: Array<{ domain: string; state: string }> = [];
      try {
        const db = new Database(dbPath, { readonly: true, fileMustExist: true });
        try {
          states = db.prepare('SELECT domain, state FROM job_domains').all() as typeof states;
        } finally {
          db.close();
        }
      } catch {
        continue;
      }
      if (states.some((s) => s.state === 'verified')) {
        child.kill('SIGKILL');
        killedAt = states.map((s) => `${s.domain}=${s.state}`);
        break;
      }
    }
    const killed = await done;
    expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).to.equal('SIGKILL');
    expect(killedAt.filter((s) => !s.endsWith('=verified')).length, killedAt.join(', ')).to.be.greaterThan(0);

    const listed = await runCli(dataDir, ['jobs', '--json']);
    const jobs = JSON.parse(listed.stdout) as Array<{ id: string; status: string }>;
    expect(jobs).to.have.length(1);
    expect(jobs[0]!.status).to.equal('interrupted');
    const jobId = jobs[0]!.id;

    const shown = await runCli(dataDir, ['job', jobId, '--json']);
    const view = JSON.parse(shown.stdout) as { status: string; domains: Array<{ domain: string; state: string; live: string }> };
    expect(view.status).to.equal('interrupted');
    // Read back from the server: every domain's files are wholly before or wholly after the change.
    for (const d of view.domains) expect(['before', 'after'], `${d.domain}: ${d.live}`).to.include(d.live);
    expect(view.domains.some((d) => d.state === 'verified' && d.live === 'after')).to.equal(true);

    const resumed = await runCli(dataDir, ['job', 'resume', jobId, '--json']);
    expect(resumed.code, resumed.stderr).to.equal(0);
    const result = JSON.parse(resumed.stdout) as {
      status: string;
      domains: Array<{ domain: string; state: string }>;
      summary: { servers: Array<{ configTests: number; reloads: number }> };
    };
    expect(result.status).to.equal('succeeded');
    expect(
      result.domains.every((d) => d.state === 'verified'),
      JSON.stringify(result.domains),
    ).to.equal(true);
    // The resumed part is one batch again: one config test, at most one reload.
    expect(result.summary.servers[0]!.configTests).to.equal(1);
    expect(result.summary.servers[0]!.reloads).to.be.at.most(1);
  });

  it('a CLI `apply` killed with SIGKILL mid-change shows as interrupted in `jobs`, and `job rollback` restores its files byte for byte', async () => {
    await resetHost();
    const dir = mkdtempSync(path.join(tmpdir(), 'pp-apply-kill-'));
    try {
      const files = ['/var/www/vhosts/system/idle.demo.test/conf/vhost.conf', '/var/www/vhosts/system/idle.demo.test/conf/vhost_ssl.conf'];
      const before = files.map(sha);
      const child = cli(dir, ['apply', 'idle.demo.test', '--profile', 'socketio-safe', '--server', 'demo']);
      const done = finish(child);
      // Kill it once its files are written: the job then holds a checkpoint and a half-finished change.
      const deadline = Date.now() + 60_000;
      let written = false;
      while (!written && Date.now() < deadline) {
        await new Promise((r) => setTimeout(r, 50));
        written = files.map(sha).some((h, i) => h !== before[i]);
      }
      expect(written, 'the change wrote its files').to.equal(true);
      child.kill('SIGKILL');
      const killed = await done;
      expect(killed.signal, `${killed.stdout}\n${killed.stderr}`).to.equal('SIGKILL');

      const listed = JSON.parse((await runCli(dir, ['jobs', '--json'])).stdout) as Array<{ id: string; kind: string; status: string }>;
      expect(listed.map((j) => `${j.kind}:${j.status}`)).to.deep.equal(['apply:interrupted']);
      const jobId = listed[0]!.id;
      const view = JSON.parse((await runCli(dir, ['job', jobId, '--json'])).stdout) as { domains: Array<{ live: string }> };
      // Killed right after its write began: wholly written, or (if the kill cut the write) partly.
      expect(view.domains).to.have.length(1);
      expect(['after', 'partial']).to.include(view.domains[0]!.live);

      const undone = await runCli(dir, ['job', 'rollback', jobId, '--json']);
      expect(undone.code, undone.stderr).to.equal(0);
      expect(files.map(sha)).to.deep.equal(before);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
