/**
 * Benchmarks: scripts that print figures (ours beside the naive way), never timed assertions.
 *   node dist/test/bench/run.js [inventory|oneclick|bulk|all]
 * Each part registers itself in PARTS; a part that is not built yet says so instead of failing silently.
 */
import { pathToFileURL } from 'node:url';

type Part = () => Promise<void>;

/** Part name -> module (relative to this file) exporting `run(): Promise<void>`. */
const PARTS: Record<string, string> = {
  inventory: './inventory.js',
  oneclick: './oneclick.js',
  bulk: './bulk.js',
  ssh: './ssh.js',
};

async function loadPart(name: string): Promise<Part> {
  const file = PARTS[name];
  if (!file) throw new Error(`unknown bench part "${name}"; choose from: ${[...Object.keys(PARTS), 'all'].join(', ')}`);
  let mod: { run?: Part };
  try {
    mod = (await import(new URL(file, import.meta.url).href)) as { run?: Part };
  } catch (err) {
    throw new Error(`bench part "${name}" (${file}) could not be loaded: ${(err as Error).message}`);
  }
  if (typeof mod.run !== 'function') throw new Error(`bench part "${name}" does not export run()`);
  return mod.run;
}

export async function main(args: string[]): Promise<void> {
  const wanted = args[0] ?? 'all';
  const names = wanted === 'all' ? Object.keys(PARTS) : [wanted];
  let failed = 0;
  for (const name of names) {
    console.log(`\n=== bench: ${name} ===`);
    try {
      await (await loadPart(name))();
    } catch (err) {
      failed += 1;
      console.error(`bench ${name} failed: ${(err as Error).stack ?? err}`);
    }
  }
  if (failed) process.exitCode = 1;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  void main(process.argv.slice(2));
}
