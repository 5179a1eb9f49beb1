/** The import rules of `npm run deps` (.dependency-cruiser.cjs), run by dependency-cruiser on small trees. */
import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { expect } from 'chai';
import { REPO_ROOT } from '../../support/testhost.js';

const BIN = join(REPO_ROOT, 'node_modules', 'dependency-cruiser', 'bin', 'dependency-cruise.mjs');
const CONFIG = join(REPO_ROOT, '.dependency-cruiser.cjs');
const REPORTER = join(REPO_ROOT, 'test', 'deps', 'summary-reporter.mjs');

/** Writes `files` (path -> imported paths) under a fresh backend/src and runs the check there. */
async function check(files: Record<string, string[]>): Promise<{ code: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'pp-deps-'));
  try {
    writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext' } }));
    for (const [file, imports] of Object.entries(files)) {
      const path = join(dir, 'backend/src', file);
      mkdirSync(dirname(path), { recursive: true });
      const lines = imports.map((target, i) => `import { x as x${i} } from '${target}';`);
      writeFileSync(path, `${lines.join('\n')}\nexport const x = 1;\n`);
    }
    return await new Promise((resolve, reject) => {
      execFile(
        process.execPath,
        [BIN, 'backend/src', '--config', CONFIG, '--output-type', `plugin:${REPORTER}`],
        { cwd: dir },
        (err, stdout, stderr) => {
          const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0;
          if (code === -1) reject(new Error(`dependency-cruiser did not run: ${err?.message}\n${stderr}`));
          else resolve({ code, output: stdout + stderr });
        },
      );
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('dependency rules (npm run deps)', function () {
  this.timeout(20_000);

  it('passes imports that point down the layers, into foundations, and from main.ts anywhere', async () => {
    const result = await check({
      'main.ts': ['./cli/run.js', './web/app.js', './jobs/runner.js'],
      'cli/run.ts': ['../jobs/runner.js', '../store/db.js', '../errors.js'],
      'web/app.ts': ['../jobs/runner.js', '../plesk/inventory.js'],
      'jobs/runner.ts': ['../apply/plan.js', '../verify/probe.js', '../events.js'],
      'apply/plan.ts': ['../verify/probe.js', '../plesk/inventory.js'],
      'verify/probe.ts': ['../ssh/session.js'],
      'plesk/inventory.ts': ['../passenger/catalog.js', '../config/types.js'],
      'passenger/catalog.ts': ['../ssh/session.js'],
      'ssh/session.ts': ['../config/types.js', '../errors.js'],
      'store/db.ts': ['../config/types.js', '../errors.js'],
      'config/types.ts': [],
      'errors.ts': [],
      'events.ts': [],
    });
    expect(result.output).to.match(/^deps: 13 modules, \d+ imports checked: 0 circles, 0 layer violations, 0 other violations$/m);
    expect(result.code, result.output).to.equal(0);
  });

  it('names each breach: a circle, upward imports, web/cli crossing, foundations reaching up, main.ts imported', async () => {
    const result = await check({
      'main.ts': ['./cli/run.js'],
      'cli/run.ts': ['../web/app.js'],
      'web/app.ts': ['../main.js'],
      'plesk/inventory.ts': ['../diagnose/rules.js'],
      'diagnose/rules.ts': ['./facts.js'],
      'diagnose/facts.ts': ['./rules.js'],
      'store/db.ts': ['../jobs/runner.js'],
      'jobs/runner.ts': [],
      'extras/thing.ts': ['../errors.js'],
      'errors.ts': ['./nowhere.js'],
    });
    expect(result.code).to.equal(1);
    expect(result.output).to.contain(
      'circle  backend/src/diagnose/facts.ts -> backend/src/diagnose/rules.ts -> backend/src/diagnose/facts.ts',
    );
    expect(result.output).to.contain('backend/src/cli/run.ts -> backend/src/web/app.ts  (layer: cli/ imports web/)');
    expect(result.output).to.contain('backend/src/web/app.ts -> backend/src/main.ts  (root: main.ts imported)');
    expect(result.output).to.contain(
      'backend/src/plesk/inventory.ts -> backend/src/diagnose/rules.ts  (layer: plesk/ imports an upper layer)',
    );
    expect(result.output).to.contain('backend/src/store/db.ts -> backend/src/jobs/runner.ts  (foundation: imports a layer)');
    expect(result.output).to.contain('backend/src/extras/thing.ts -> backend/src/errors.ts  (layer: unknown folder)');
    expect(result.output).to.contain('(unresolvable import)');
    // main.ts -> cli -> web -> main.ts is a circle too.
    expect(result.output).to.match(/: 2 circles, 5 layer violations, 1 other violation$/m);
  });
});
