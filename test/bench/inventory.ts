/**
 * Bench part `inventory`: how long a whole-server inventory takes and how many SSH execs it uses, for
 * N = 50, 200, 500 extra config-only domains on the test host, beside a naive per-domain loop
 * (`plesk bin domain --info`, then one `cat` per file) measured on the same connection.
 *
 * It changes the test host (adds and removes domains, each a web-server reload), so it holds the host
 * lock (/var/lock/pp-host.lock) for its whole run. Figures only; nothing here asserts a time.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { readServerInventory } from '../../backend/src/plesk/inventory-service.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import type { SshSession } from '../../backend/src/ssh/session.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CONNECTION = join(REPO, 'test', 'host', '.state', 'connection.json');
/** Extra domains per round; PP_BENCH_INVENTORY_SIZES=0 measures the host as it is (no change, no lock). */
const SIZES = (process.env.PP_BENCH_INVENTORY_SIZES ?? '50,200,500').split(',').map(Number);
/** Naive loops beyond this many domains are measured on this many and extrapolated (said in the output). */
const NAIVE_SAMPLE = 50;
const REPEATS = 5;
const SYSTEM = '/var/www/vhosts/system';

function loadServer(): ServerConfig {
  let text: string;
  try {
    text = readFileSync(CONNECTION, 'utf8');
  } catch {
    throw new Error(`${CONNECTION} is missing: set the test host up first (bash test/host/setup.sh)`);
  }
  return JSON.parse(text) as ServerConfig;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** The per-domain loop a first version would write: every fact fetched by its own command. */
async function naiveRead(session: SshSession, domains: string[]): Promise<void> {
  await session.exec(['plesk', 'bin', 'domain', '--list']);
  await session.exec(['plesk', 'ext', 'nodejs', '--versions'], { allowFail: true });
  await session.exec(['passenger-status', '--show=xml'], { allowFail: true });
  await session.exec(['passenger-config', '--version'], { allowFail: true });
  await session.exec(['cat', '/etc/apache2/mods-enabled/passenger.conf'], { allowFail: true });
  for (const d of domains) {
    await session.exec(['plesk', 'bin', 'domain', '--info', d]);
    for (const f of ['vhost.conf', 'vhost_ssl.conf', 'vhost_nginx.conf', 'last_nginx.conf']) {
      await session.exec(['cat', `${SYSTEM}/${d}/conf/${f}`], { allowFail: true });
    }
    const httpd = await session.exec(['cat', `${SYSTEM}/${d}/conf/last_httpd.conf`], { allowFail: true });
    const root = /DocumentRoot\s+"?([^"\s]+)"?/.exec(httpd.stdout)?.[1] ?? `/var/www/vhosts/${d}/httpdocs`;
    await session.exec(['cat', `${root}/.htaccess`], { allowFail: true });
  }
}

interface Row {
  extra: number;
  total: number;
  oursMs: number;
  oursExecs: number;
  naiveMs: number;
  naiveExecs: number;
  naiveNote: string;
}

async function measure(pool: SessionPool, server: ServerConfig, extra: number): Promise<Row> {
  const session = await pool.get(server);
  const times: number[] = [];
  let execs = 0;
  let total = 0;
  for (let i = 0; i < REPEATS; i += 1) {
    const before = pool.execCount(server.name);
    const t0 = performance.now();
    const inv = await readServerInventory(pool, server);
    times.push(performance.now() - t0);
    execs = pool.execCount(server.name) - before;
    total = inv.domains.length;
  }

  const list = (await session.exec(['plesk', 'bin', 'domain', '--list'])).stdout.split('\n').filter(Boolean);
  // Up to 50 extra domains the naive loop runs over all of them; beyond, over a sample.
  const sample = extra <= NAIVE_SAMPLE ? list : list.slice(0, NAIVE_SAMPLE);
  const before = pool.execCount(server.name);
  const t0 = performance.now();
  await naiveRead(session, sample);
  const sampleMs = performance.now() - t0;
  const sampleExecs = pool.execCount(server.name) - before;
  const fixedExecs = 5;
  const perDomainMs = sampleMs / sample.length;
  const perDomainExecs = (sampleExecs - fixedExecs) / sample.length;
  const extrapolated = sample.length < list.length;
  return {
    extra,
    total,
    oursMs: median(times),
    oursExecs: execs,
    // The fixed part is small next to the loop; charge it per domain too, which slightly flatters nothing.
    naiveMs: extrapolated ? perDomainMs * list.length : sampleMs,
    naiveExecs: extrapolated ? Math.round(fixedExecs + perDomainExecs * list.length) : sampleExecs,
    naiveNote: extrapolated ? `extrapolated from ${sample.length} domains` : 'measured',
  };
}

function withHostLock<T>(fn: () => Promise<T>): Promise<T> {
  // flock(1) on the shared lock file, held by a child for as long as we run.
  mkdirSync('/var/lock', { recursive: true });
  const fd = openSync('/var/lock/pp-host.lock', 'a');
  // The child sees our descriptor as its fd 3; a flock lock belongs to the shared open file, so it
  // stays held after flock(1) exits, until we close fd.
  execFileSync('flock', ['-w', '600', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
  return fn().finally(() => closeSync(fd));
}

export async function run(): Promise<void> {
  const server = loadServer();
  const pool = new SessionPool();
  const rows: Row[] = [];
  try {
    const rounds = async () => {
      const session = await pool.get(server);
      for (const n of SIZES) {
        if (n === 0) {
          rows.push(await measure(pool, server, 0));
          continue;
        }
        const prefix = `bench${n}-`;
        await session.exec(['plesk', 'standin', 'remove-domains', '--prefix', prefix], { allowFail: true, timeoutMs: 300_000 });
        await session.exec(['plesk', 'standin', 'add-domains', '--count', String(n), '--prefix', prefix], { timeoutMs: 300_000 });
        try {
          rows.push(await measure(pool, server, n));
        } finally {
          await session.exec(['plesk', 'standin', 'remove-domains', '--prefix', prefix], { timeoutMs: 300_000 });
        }
      }
    };
    await (SIZES.every((n) => n === 0) ? rounds() : withHostLock(rounds));
  } finally {
    pool.closeAll();
  }

  const fmt = (ms: number): string => (ms >= 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms)} ms`);
  console.log(`inventory of the whole server over one open SSH connection (median of ${REPEATS}; naive loop once)`);
  console.log('| extra domains | domains read | ours: wall | ours: SSH execs | naive loop: wall | naive: SSH execs | naive measured how |');
  console.log('|---:|---:|---:|---:|---:|---:|---|');
  for (const r of rows) {
    console.log(`| ${r.extra} | ${r.total} | ${fmt(r.oursMs)} | ${r.oursExecs} | ${fmt(r.naiveMs)} | ${r.naiveExecs} | ${r.naiveNote} |`);
  }
  console.log('ours includes parsing and resolving every domain; the naive loop only fetches (no parsing).');
}
