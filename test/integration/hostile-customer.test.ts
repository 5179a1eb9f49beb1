import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT, resetHost, whoami } from '../support/testhost.js';

// A customer of the demo host (each demo domain belongs to its own system user, as subscriptions do on
// Plesk) plants links and huge files in the document root they own. The panel runs as root over SSH and
// must neither read nor write through them, and one hostile domain must not spoil anyone else's read.
const MAIN = path.join(REPO_ROOT, 'dist', 'backend', 'src', 'main.js');
const DOMAIN = 'healthy.demo.test';
const DOCROOT = `/var/www/vhosts/${DOMAIN}/httpdocs/public`;
const HTACCESS = `${DOCROOT}/.htaccess`;

function owner(domain: string): { uid: number; gid: number } {
  const user = `pp_${domain.split('.')[0]}`;
  return {
    uid: Number(execFileSync('id', ['-u', user], { encoding: 'utf8' }).trim()),
    gid: Number(execFileSync('id', ['-g', user], { encoding: 'utf8' }).trim()),
  };
}

function asCustomer(command: string): void {
  const { uid, gid } = owner(DOMAIN);
  execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'sh', '-c', command]);
}

const digest = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex');

function cli(dataDir: string, args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const child = spawn(process.execPath, [MAIN, ...args, '--data', dataDir], {
    env: { ...process.env, PASSENGER_PANEL_LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
  child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stdout, stderr })));
}

interface InventoryDomain {
  name: string;
  verdict: string;
  findings: string[];
}

async function inventory(dataDir: string): Promise<InventoryDomain[]> {
  const res = await cli(dataDir, ['inventory', '--json']);
  const parsed = JSON.parse(res.stdout) as { servers: Array<{ domains: InventoryDomain[] }>; failed: unknown[] };
  expect(parsed.failed, res.stderr).to.deep.equal([]);
  return parsed.servers.flatMap((s) => s.domains);
}

describe('a hostile customer on the demo host (changes host state)', function () {
  this.timeout(240_000);
  let dataDir: string;
  const shadow = '/etc/shadow';
  let shadowBefore: string;

  before(async () => {
    await resetHost();
    dataDir = mkdtempSync(path.join(tmpdir(), 'pp-hostile-'));
    shadowBefore = digest(shadow);
  });
  after(async () => {
    rmSync(dataDir, { recursive: true, force: true });
    await resetHost();
  });

  it('the demo host gives each domain its own system user, and the app runs as that user', async () => {
    const { uid } = owner(DOMAIN);
    expect(Number(execFileSync('stat', ['-c', '%u', HTACCESS], { encoding: 'utf8' }).trim())).to.equal(uid);
    expect(execFileSync('stat', ['-c', '%U:%G %a', `/var/www/vhosts/${DOMAIN}/httpdocs`], { encoding: 'utf8' }).trim()).to.equal(
      `pp_healthy:psaserv 750`,
    );
    // The process that answers a request now (a reload may leave the old generation draining for a while).
    const { pid } = await whoami(DOMAIN);
    expect(execFileSync('ps', ['-o', 'user=', '-p', String(pid)], { encoding: 'utf8' }).trim()).to.equal('pp_healthy');
  });

  it('a .htaccess linked to /etc/shadow: never shown, never written, an unsafe-file finding, every other domain read', async () => {
    asCustomer(`rm -f ${HTACCESS} && ln -s ${shadow} ${HTACCESS}`);
    const domains = await inventory(dataDir);
    const healthy = domains.find((d) => d.name === DOMAIN)!;
    expect(healthy.findings).to.include('unsafe-file');
    expect(domains.filter((d) => d.name !== DOMAIN).every((d) => !d.findings.includes('unsafe-file'))).to.equal(true);
    expect(domains.length).to.be.at.least(5);

    const shown = await cli(dataDir, ['show', DOMAIN, '--json']);
    expect(shown.stdout).to.not.match(/root:[^:]*:\d+:/);
    const applied = await cli(dataDir, ['apply', DOMAIN, '--profile', 'socketio-safe', '--json']);
    expect(applied.code, applied.stdout + applied.stderr).to.not.equal(0);
    expect(applied.stdout + applied.stderr).to.not.match(/root:[^:]*:\d+:/);
    expect(digest(shadow), '/etc/shadow unchanged').to.equal(shadowBefore);
  });

  it('a 450 MB sparse .htaccess: refused without being read, other domains intact', async () => {
    asCustomer(`rm -f ${HTACCESS} && truncate -s 450M ${HTACCESS}`);
    const started = Date.now();
    const domains = await inventory(dataDir);
    expect(Date.now() - started).to.be.below(30_000);
    expect(domains.find((d) => d.name === DOMAIN)!.findings).to.include('unsafe-file');
    expect(domains.find((d) => d.name === 'multi.demo.test')!.findings).to.include('several-processes-no-sticky');
  });
});
