/**
 * SSH layer figures: commands over the one pooled connection (sequential and parallel) beside the naive
 * way (a new connection per command, like running `ssh host cmd` in a loop). Prints, asserts nothing.
 *   node dist/test/bench/run.js ssh
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { SessionPool, SshSession } from '../../backend/src/ssh/index.js';

const connectionPath = fileURLToPath(new URL('../../../test/host/.state/connection.json', import.meta.url));

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const started = performance.now();
  await fn();
  return performance.now() - started;
}

export async function run(): Promise<void> {
  if (!existsSync(connectionPath)) throw new Error(`test host not set up (${connectionPath} missing): run bash test/host/setup.sh`);
  const server = JSON.parse(readFileSync(connectionPath, 'utf8')) as ServerConfig;
  const N = 100;
  const NAIVE_N = 20;
  const rounds = 3;
  const rows: { way: string; commands: number; connects: number; totalMs: number[] }[] = [
    { way: 'pooled, sequential', commands: N, connects: 0, totalMs: [] },
    { way: 'pooled, parallel (8 channels)', commands: N, connects: 0, totalMs: [] },
    { way: 'naive: new connection per command', commands: NAIVE_N, connects: 0, totalMs: [] },
  ];
  for (let round = 0; round < rounds; round++) {
    const pool = new SessionPool();
    const session = await pool.get(server);
    rows[0]!.totalMs.push(
      await timed(async () => {
        for (let i = 0; i < N; i++) await session.exec(['true']);
      }),
    );
    rows[1]!.totalMs.push(
      await timed(async () => {
        await Promise.all(Array.from({ length: N }, () => session.exec(['true'])));
      }),
    );
    rows[0]!.connects = rows[1]!.connects = session.connectCount;
    pool.closeAll();
    rows[2]!.totalMs.push(
      await timed(async () => {
        for (let i = 0; i < NAIVE_N; i++) {
          const fresh = new SshSession(server);
          await fresh.exec(['true']);
          fresh.close();
        }
      }),
    );
    rows[2]!.connects = NAIVE_N;
  }
  console.log(`SSH to ${server.host}:${server.port}, command \`true\`, median of ${rounds} rounds`);
  console.log(
    `${'way'.padEnd(36)} ${'commands'.padStart(8)} ${'connects'.padStart(8)} ${'total ms'.padStart(9)} ${'ms/command'.padStart(10)}`,
  );
  for (const row of rows) {
    const total = median(row.totalMs);
    console.log(
      `${row.way.padEnd(36)} ${String(row.commands).padStart(8)} ${String(row.connects).padStart(8)} ${total.toFixed(0).padStart(9)} ${(total / row.commands).toFixed(2).padStart(10)}`,
    );
  }
}
