/**
 * Counts the hostile inputs each entry point refused, and prints one line when the whole run ends,
 * so the totals can be quoted ("hostile inputs: cli 60, web 45, ...").
 */
export type EntryPoint = 'cli' | 'web' | 'socket' | 'token' | 'config' | 'renderer';

const ORDER: readonly EntryPoint[] = ['cli', 'web', 'socket', 'token', 'config', 'renderer'];
const counts = new Map<EntryPoint, number>();

/** Records `n` refused inputs (for the renderer: property cases run) at an entry point. */
export function tally(entry: EntryPoint, n = 1): void {
  counts.set(entry, (counts.get(entry) ?? 0) + n);
}

export function tallyLine(): string {
  const parts = ORDER.filter((e) => counts.has(e)).map((e) => `${e} ${counts.get(e)}${e === 'renderer' ? ' cases' : ''}`);
  return `hostile inputs: ${parts.join(', ')}`;
}

// A root-level hook: registered once, when the first hostile-input file imports this module.
after(() => {
  console.log(`      ${tallyLine()}`);
});
