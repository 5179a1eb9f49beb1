import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { loadConnection } from '../support/testhost.js';

const run = promisify(execFile);
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
const BIN = join(REPO, 'bin/passenger-panel.mjs');

interface PlanJson {
  server: string;
  adminOnly: boolean;
  nothingToDo: boolean;
  recommendations: { key: string; current: unknown; recommended: unknown; source: string }[];
  effect: { apps: number; processes: number; summary: string };
}

describe('passenger-panel server-plan (CLI against the test host, read-only)', function () {
  this.timeout(60_000);
  let dataDir: string;

  before(() => {
    loadConnection(); // fails with "run setup" when the host is missing
    dataDir = mkdtempSync(join(tmpdir(), 'pp-server-plan-'));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("recommends raising the host's 6 s pool idle time and counts the apps a reload restarts", async () => {
    const { stdout } = await run('node', [BIN, 'server-plan', '--json'], {
      cwd: REPO,
      env: { ...process.env, PASSENGER_PANEL_DATA: dataDir },
    });
    const plan = JSON.parse(stdout) as PlanJson;
    expect(plan.server).to.equal('demo');
    expect(plan.adminOnly).to.equal(true);
    expect(plan.nothingToDo).to.equal(false);
    const idle = plan.recommendations.find((r) => r.key === 'passenger_pool_idle_time');
    expect(idle, 'pool idle time recommendation').to.not.equal(undefined);
    expect(idle!.current).to.equal(6);
    expect(idle!.recommended).to.equal(300);
    expect(idle!.source).to.match(/^\/etc\/apache2\/.+:\d+$/);
    // Every demo app but idle (min instances 0, often reaped) runs: a reload would restart at least those.
    expect(plan.effect.apps).to.be.at.least(4);
    expect(plan.effect.processes).to.be.at.least(plan.effect.apps);
  });

  it('refuses positional arguments with exit 2 and writes nothing', async () => {
    const err = await run('node', [BIN, 'server-plan', 'extra'], {
      cwd: REPO,
      env: { ...process.env, PASSENGER_PANEL_DATA: dataDir },
    }).then(
      () => undefined,
      (e: { code: number; stderr: string }) => e,
    );
    expect(err, 'command should fail').to.not.equal(undefined);
    expect(err!.code).to.equal(2);
  });
});
