import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root (tests run compiled, from dist/test/support/). */
export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url)).replace(/\/$/, '');

/** Throws with an actionable reason when php-cli is not installed; tests must not pass without it. */
export function requirePhp(): string {
  const probe = spawnSync('php', ['-v'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    throw new Error('php-cli is required for the Plesk extension tests: apt-get install -y php-cli');
  }
  return 'php';
}

export function runPhp(args: string[], options: { cwd?: string } = {}): { stdout: string; stderr: string; status: number } {
  const result = spawnSync(requirePhp(), args, { encoding: 'utf8', cwd: options.cwd ?? repoRoot, timeout: 30_000 });
  if (result.error) throw result.error;
  return { stdout: result.stdout, stderr: result.stderr, status: result.status ?? -1 };
}

/** Every *.php and *.phtml file below dir, relative to the repo root. */
export function phpFilesUnder(dir: string): string[] {
  const found: string[] = [];
  const walk = (d: string): void => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.php') || name.endsWith('.phtml')) found.push(relative(repoRoot, path));
    }
  };
  walk(join(repoRoot, dir));
  return found.sort();
}
