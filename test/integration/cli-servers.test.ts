import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const repo = fileURLToPath(new URL('../../../', import.meta.url));
const connectionPath = join(repo, 'test/host/.state/connection.json');

/** Runs the real entry point (`bin/passenger-panel.mjs`, what `npx passenger-panel` runs). */
function cli(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(repo, 'bin/passenger-panel.mjs'), ...args], {
      cwd: repo,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env },
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

describe('passenger-panel servers (CLI against the test host)', function () {
  this.timeout(60_000);
  if (!existsSync(connectionPath)) {
    throw new Error(`the test host is not set up (${connectionPath} is missing): run \`bash test/host/setup.sh\` as root`);
  }
  const demo = JSON.parse(readFileSync(connectionPath, 'utf8')) as {
    hostKeyFingerprint: string;
    privateKeyPath: string;
    knownHostsPath: string;
  };
  const dir = mkdtempSync(join(tmpdir(), 'pp-cli-it-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('uses the demo host when nothing is configured and --check reaches it (exit 0)', async () => {
    const result = await cli(['servers', '--check', '--json'], { PASSENGER_PANEL_DATA: join(dir, 'data1') });
    expect(result.code, result.stderr).to.equal(0);
    const { servers } = JSON.parse(result.stdout) as {
      servers: { name: string; source: string; check: { ok: boolean; hostKeyFingerprint: string } }[];
    };
    expect(servers).to.have.length(1);
    expect(servers[0]).to.deep.include({ name: 'demo', source: 'demo' });
    expect(servers[0]?.check).to.deep.include({ ok: true, hostKeyFingerprint: demo.hostKeyFingerprint });
    const text = await cli(['servers', '--check'], { PASSENGER_PANEL_DATA: join(dir, 'data1') });
    expect(text.code).to.equal(0);
    expect(text.stdout).to.match(/demo\s+root@127\.0\.0\.1:\d+\s+.*\s+demo\s+ok \d+ ms/);
    for (const line of text.stdout.split('\n')) expect(line.length).to.be.at.most(100);
  });

  it('exits 4 when a configured server is unreachable, and reports each server on its own', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const closedPort = (probe.address() as { port: number }).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    const config = join(dir, 'config.json');
    const connection = JSON.parse(readFileSync(connectionPath, 'utf8')) as Record<string, unknown>;
    writeFileSync(
      config,
      JSON.stringify({
        servers: [
          { ...connection, name: 'good' },
          { ...connection, name: 'gone', port: closedPort },
          {
            ...connection,
            name: 'impostor',
            knownHostsPath: undefined,
            hostKeyFingerprint: 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
          },
        ],
      }),
    );
    const result = await cli(['servers', '--check', '--json'], {
      PASSENGER_PANEL_DATA: join(dir, 'data2'),
      PASSENGER_PANEL_CONFIG: config,
    });
    expect(result.code, result.stderr).to.equal(4);
    const { servers } = JSON.parse(result.stdout) as {
      servers: { name: string; check: { ok: boolean; error: { code: string; message: string } | null } }[];
    };
    const byName = Object.fromEntries(servers.map((s) => [s.name, s.check]));
    expect(byName.good).to.deep.include({ ok: true, error: null });
    expect(byName.gone?.error?.code).to.equal('ssh_unreachable');
    expect(byName.impostor?.error?.code).to.equal('ssh_host_key');
    expect(byName.impostor?.error?.message).to.contain(demo.hostKeyFingerprint);
  });
});
