/**
 * Bench part `bulk`: 500 domains on the test host (495 config-only from the stand-in's add-domains plus
 * the 5 demo apps; 205 of the config-only ones get the demo Socket.IO app and PassengerMinInstances 2,
 * so they are live and at risk), then per round:
 *   - inventory of the whole server: wall time and SSH execs (median of 3 reads);
 *   - one bulk job applying socketio-safe to 200 at-risk domains with live verification: wall time,
 *     config tests, reloads, verification throughput, and whether apps outside the job restarted more than once;
 *   - the naive way on the 5 remaining at-risk domains (per domain: write, plesk reconfigure, reload,
 *     verify), extrapolated to 200.
 * Rounds: PP_BENCH_BULK_ROUNDS (default 3); medians are printed with every round's figures.
 * PP_BENCH_SERVER=NAME runs it on an extra test server (test/host/extra-server.sh) instead of the main
 * test host, which then needs no host lock. It changes the server it runs on. Figures only.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdirSync, openSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import { planBatch } from '../../backend/src/apply/plan.js';
import { sshServerOps } from '../../backend/src/apply/ssh-server-ops.js';
import { sshPorts } from '../../backend/src/jobs/ports.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import { BulkRunner } from '../../backend/src/jobs/bulk-runner.js';
import type { BulkSummary } from '../../backend/src/jobs/bulk-model.js';
import { JobEventBus } from '../../backend/src/jobs/event-bus.js';
import { diagnoseServer } from '../../backend/src/diagnose/diagnose.js';
import { readServerInventory } from '../../backend/src/plesk/inventory-service.js';
import { configTest, regenerateDomain, reloadWebServer } from '../../backend/src/plesk/web-server.js';
import { socketioSafeProfile } from '../../backend/src/profile/socketio-safe.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import type { SshSession } from '../../backend/src/ssh/session.js';
import { createStore, openDatabase } from '../../backend/src/store/index.js';
import { readAppProcesses } from '../../backend/src/verify/app-processes.js';
import { verifyDomain, type PublicEndpoint } from '../../backend/src/verify/verifier.js';

const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const CONNECTION = join(REPO, 'test', 'host', '.state', 'connection.json');
const ENDPOINT: PublicEndpoint = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };
const ROUNDS = Number(process.env.PP_BENCH_BULK_ROUNDS ?? 3);
const PREFIX = 'bulkb';
const CONFIG_ONLY = 495;
/** PP_BENCH_BULK_SIZE changes the bulk case (default 200) for quick trials. */
const BULK = Number(process.env.PP_BENCH_BULK_SIZE ?? 200);
const LIVE = BULK + 5;
const NAIVE = LIVE - BULK;
const VERIFY_CONCURRENCY = 8;
/** The product's watch window is 10 s; the bench uses 2 s (said in the output) to keep a round near 3 minutes. */
const WATCH_MS = 2_000;

const EXTRA = process.env.PP_BENCH_SERVER && process.env.PP_BENCH_SERVER !== 'demo' ? process.env.PP_BENCH_SERVER : undefined;

interface Target {
  server: ServerConfig;
  endpoint: PublicEndpoint;
  /** Apps on that server that no bulk job selects: they may restart once (the reload), no more. */
  outside: string[];
  reset(): void;
  lock<T>(fn: () => Promise<T>): Promise<T>;
}

function loadTarget(): Target {
  if (EXTRA) {
    const file = join(REPO, 'test', 'host', '.state', 'servers', `${EXTRA}.json`);
    let raw: ServerConfig & { publicEndpoint?: { address: string; httpPort: number; httpsPort: number } };
    try {
      raw = JSON.parse(readFileSync(file, 'utf8'));
    } catch {
      throw new Error(`${file} is missing: start the server first (bash test/host/extra-server.sh start ${EXTRA})`);
    }
    const { publicEndpoint, ...server } = raw;
    if (!publicEndpoint) throw new Error(`${file} has no publicEndpoint`);
    return {
      server,
      endpoint: { ...publicEndpoint, acceptSelfSignedOnTestHost: true },
      outside: ['calm-x.demo.test'],
      reset: () =>
        execFileSync('bash', [join(REPO, 'test', 'host', 'extra-server.sh'), 'reset', EXTRA], { stdio: ['ignore', 'ignore', 'inherit'] }),
      lock: (fn) => fn(),
    };
  }
  let server: ServerConfig;
  try {
    server = JSON.parse(readFileSync(CONNECTION, 'utf8')) as ServerConfig;
  } catch {
    throw new Error(`${CONNECTION} is missing: set the test host up first (bash test/host/setup.sh)`);
  }
  return { server, endpoint: ENDPOINT, outside: ['healthy.demo.test', 'custompath.demo.test'], reset: resetHost, lock: withHostLock };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] as number;
}

function withHostLock<T>(fn: () => Promise<T>): Promise<T> {
  mkdirSync('/var/lock', { recursive: true });
  const fd = openSync('/var/lock/pp-host.lock', 'a');
  // flock(1) locks our open file description (its fd 3); the lock stays held until we close fd.
  execFileSync('flock', ['-w', '900', '3'], { stdio: ['ignore', 'inherit', 'inherit', fd] });
  return fn().finally(() => closeSync(fd));
}

function resetHost(): void {
  execFileSync('bash', [join(REPO, 'test', 'host', 'reset.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

const name = (i: number): string => `${PREFIX}${String(i).padStart(3, '0')}.fixture.test`;

/**
 * One remote script: give the first LIVE config-only domains the demo app and PassengerMinInstances 0 (at
 * risk: idle cleaning kills the process and its sessions). One process per app keeps 205 apps workable
 * within the test host's PassengerMaxPoolSize of 40; with two each, the pool thrashes and verification
 * judges Passenger's evictions instead of the change (seen: 179 of 200 failed that way).
 */
const MAKE_LIVE = `
set -e
cache=$(ls -d /var/lib/pp-testhost/app-cache/*/node_modules | head -n1)
app=$(dirname "$(ls /var/www/vhosts/*.demo.test/httpdocs/app.js | head -n1)")
for d in "$@"; do
  docs=/var/www/vhosts/$d/httpdocs
  cp "$app/app.js" "$app/package.json" "$docs/"
  echo /socket.io/ > "$docs/socketio-path"
  ln -sfn "$cache" "$docs/node_modules"
  conf=/var/www/vhosts/system/$d/conf
  printf '# admin directives (HTTP) for %s\\nPassengerMinInstances 0\\n' "$d" > "$conf/vhost.conf"
  if grep -q ':7081>' "$conf/last_httpd.conf"; then printf '# admin directives (HTTPS) for %s\\nPassengerMinInstances 0\\n' "$d" > "$conf/vhost_ssl.conf"; fi
done
plesk sbin httpdmng --reconfigure-all
`;

async function apacheReloads(session: SshSession): Promise<number> {
  const res = await session.exec(['sh', '-c', 'grep -c "resuming normal operations" /var/log/apache2/error.log || true']);
  return Number(res.stdout.trim());
}

/**
 * A graceful reload of a server with 500 vhosts takes seconds, and signals queue up behind each other:
 * wait until Apache's last reload line says it resumed and Passenger answers.
 */
async function waitSettled(session: SshSession): Promise<void> {
  const script = `for i in $(seq 1 480); do
    last=$(grep -E 'SIGUSR1 received|resuming normal operations' /var/log/apache2/error.log | tail -n1)
    case "$last" in *resuming*) passenger-status >/dev/null 2>&1 && exit 0 ;; esac
    sleep 0.25
  done
  exit 1`;
  const res = await session.exec(['sh', '-c', script], { allowFail: true, timeoutMs: 150_000 });
  if (res.code !== 0) throw new Error('Apache/Passenger did not settle within 120 s after a reload');
}

interface Round {
  domains: number;
  invMs: number;
  invExecs: number;
  atRisk: number;
  bulkMs: number;
  bulkVerified: number;
  bulkFailed: number;
  configTests: number;
  reloads: number;
  reloadsInLog: number;
  verifyMs: number;
  throughput: number;
  othersRestartedAtMostOnce: boolean;
  naivePerDomainMs: number;
  naiveConfigTests: number;
  naiveReloads: number;
  naiveVerified: number;
}

async function oneRound(pool: SessionPool, target: Target): Promise<Round> {
  const { server } = target;
  const session = await pool.get(server);
  target.reset();
  await session.exec(['plesk', 'standin', 'remove-domains', '--prefix', PREFIX], { allowFail: true, timeoutMs: 300_000 });
  try {
    return await measureRound(pool, target, session);
  } finally {
    // Never leave 495 extra domains behind, whatever failed.
    await session.exec(['plesk', 'standin', 'remove-domains', '--prefix', PREFIX], { allowFail: true, timeoutMs: 300_000 });
    target.reset();
  }
}

async function measureRound(pool: SessionPool, target: Target, session: SshSession): Promise<Round> {
  const { server } = target;
  await session.exec(['plesk', 'standin', 'add-domains', '--count', String(CONFIG_ONLY), '--prefix', PREFIX], { timeoutMs: 300_000 });
  await waitSettled(session);
  const live = Array.from({ length: LIVE }, (_, i) => name(i + 1));
  await session.execScript(MAKE_LIVE, live, { timeoutMs: 300_000 });
  await waitSettled(session);

  // Inventory: median of 3 reads of the whole server.
  const invTimes: number[] = [];
  let invExecs = 0;
  let inventory = await readServerInventory(pool, server);
  for (let i = 0; i < 3; i += 1) {
    const before = pool.execCount(server.name);
    const t0 = performance.now();
    inventory = await readServerInventory(pool, server);
    invTimes.push(performance.now() - t0);
    invExecs = pool.execCount(server.name) - before;
  }
  const atRisk = diagnoseServer(inventory).domains.filter((d) => d.verdict === 'at-risk').length;

  // Apps outside the job (the demo apps nobody selected): a reload may restart them once, no more.
  const outside = target.outside;
  const appRoot = (d: string) => `/var/www/vhosts/${d}/httpdocs`;
  const pidsBefore = await Promise.all(outside.map(async (d) => (await readAppProcesses(session, appRoot(d))).processes.map((p) => p.pid)));

  // Ours: one bulk job over 200 at-risk domains with live verification.
  const store = createStore(openDatabase(':memory:'));
  const runner = new BulkRunner({
    ports: sshPorts(pool),
    jobs: store.jobs,
    journal: store.journal,
    bus: new JobEventBus(),
    locks: new DomainLocks(undefined),
    servers: { list: () => [server], get: () => server },
    endpointFor: () => target.endpoint,
    verifyDefaults: { watchWindowMs: WATCH_MS },
  });
  const reloadsBefore = await apacheReloads(session);
  const t0 = performance.now();
  const job = await runner.start(
    { profile: 'socketio-safe', selection: { kind: 'list', domains: live.slice(0, BULK) }, verifyConcurrency: VERIFY_CONCURRENCY },
    'bench',
  );
  const bulkMs = performance.now() - t0;
  const reloadsInLog = (await apacheReloads(session)) - reloadsBefore;
  const summary = job.summary as BulkSummary;
  const c = summary.servers[0] as BulkSummary['servers'][number];
  const pidsAfter = await Promise.all(outside.map(async (d) => (await readAppProcesses(session, appRoot(d))).processes.map((p) => p.pid)));
  // Each reload gives an app new pids once; more reloads than one would mean more than one restart.
  const othersRestartedAtMostOnce = reloadsInLog <= 1 || pidsAfter.every((p, i) => JSON.stringify(p) === JSON.stringify(pidsBefore[i]));

  // Naive: per domain, write its plan, plesk reconfigure (tests and reloads), reload, verify.
  const naiveDomains = live.slice(BULK);
  const inv2 = await readServerInventory(pool, server);
  let naiveConfigTests = 0;
  let naiveReloads = 0;
  let naiveVerified = 0;
  const n0 = performance.now();
  for (const d of naiveDomains) {
    const domain = inv2.domains.find((x) => x.name === d);
    if (!domain) throw new Error(`${d} missing from the inventory`);
    const ops = sshServerOps(session);
    const [planned] = await planBatch(ops, inv2, [{ domain, settings: socketioSafeProfile(domain).settings, what: 'naive' }]);
    const plan = planned?.plan;
    if (!plan) throw new Error(`no plan for ${d}: ${planned?.error?.message}`);
    await ops.putFileStates(plan.files.map((f) => ({ path: f.path, bytes: f.existsAfter ? Buffer.from(f.after, f.encoding) : undefined })));
    await regenerateDomain(session, d);
    naiveReloads += 1;
    const test = await configTest(session, ['apache']);
    naiveConfigTests += 1;
    if (!test.ok) throw new Error(`config test failed in the naive loop: ${test.output}`);
    await reloadWebServer(session, 'apache');
    naiveReloads += 1;
    const report = await verifyDomain(
      session,
      {
        domain: d,
        server: server.name,
        appRoot: domain.appRoot,
        socketIoPath: domain.socketIoPath,
        integration: domain.mode,
        endpoint: target.endpoint,
      },
      { watchWindowMs: WATCH_MS, scheme: domain.https ? 'https' : 'http' },
    );
    if (report.ok) naiveVerified += 1;
  }
  const naivePerDomainMs = (performance.now() - n0) / naiveDomains.length;

  return {
    domains: inventory.domains.length,
    invMs: median(invTimes),
    invExecs,
    atRisk,
    bulkMs,
    bulkVerified: c.verified,
    bulkFailed: c.failed,
    configTests: c.configTests,
    reloads: c.reloads,
    reloadsInLog,
    verifyMs: c.verifyMs,
    throughput: c.verified / (c.verifyMs / 1000),
    othersRestartedAtMostOnce,
    naivePerDomainMs,
    naiveConfigTests,
    naiveReloads,
    naiveVerified,
  };
}

export async function run(): Promise<void> {
  const target = loadTarget();
  const pool = new SessionPool();
  const rounds: Round[] = [];
  try {
    await target.lock(async () => {
      for (let r = 0; r < ROUNDS; r += 1) {
        const round = await oneRound(pool, target);
        rounds.push(round);
        console.log(`round ${r + 1}: ${JSON.stringify(round)}`);
      }
    });
  } finally {
    pool.closeAll();
  }
  const med = (f: (r: Round) => number) => median(rounds.map(f));
  const s = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
  const naive200 = med((r) => r.naivePerDomainMs) * BULK;
  console.log(
    `\nbulk apply of socketio-safe on ${EXTRA ? `extra test server ${EXTRA}` : 'the test host'}, ${rounds.length} round(s), medians (2 cores; verify watch window ${WATCH_MS / 1000} s, ${VERIFY_CONCURRENCY} verifications at once)`,
  );
  console.log('| figure | ours | naive (per domain: write, reconfigure, reload, verify) |');
  console.log('|---|---:|---:|');
  console.log(`| domains on the server | ${med((r) => r.domains)} | |`);
  console.log(`| inventory of the whole server | ${s(med((r) => r.invMs))}, ${med((r) => r.invExecs)} SSH exec(s) | |`);
  console.log(`| at-risk domains found | ${med((r) => r.atRisk)} | |`);
  console.log(`| ${BULK}-domain bulk: wall time | ${s(med((r) => r.bulkMs))} | ${s(naive200)} (extrapolated from ${NAIVE} domains) |`);
  console.log(`| bulk verification phase | ${s(med((r) => r.verifyMs))} | |`);
  console.log(`| config tests | ${med((r) => r.configTests)} | ${BULK} (plus one inside each plesk reconfigure) |`);
  console.log(
    `| reloads | ${med((r) => r.reloads)} (Apache log: ${med((r) => r.reloadsInLog)}) | ${BULK * 2} (reconfigure + reload per domain) |`,
  );
  console.log(
    `| verified / failed | ${med((r) => r.bulkVerified)} / ${med((r) => r.bulkFailed)} | ${med((r) => r.naiveVerified)} of ${NAIVE} |`,
  );
  console.log(
    `| verification throughput | ${med((r) => r.throughput).toFixed(2)} domains/s | ${(1000 / med((r) => r.naivePerDomainMs)).toFixed(2)} domains/s (whole loop) |`,
  );
  console.log(
    `| apps outside the job restarted at most once | ${rounds.every((r) => r.othersRestartedAtMostOnce) ? 'yes' : 'NO'} | no (every reload restarts them: ${BULK * 2} times) |`,
  );
  console.log(`| ratio naive / ours (wall) | ${(naive200 / med((r) => r.bulkMs)).toFixed(1)}x | |`);
  console.log(
    `per-round wall times (ours): ${rounds.map((r) => s(r.bulkMs)).join(', ')}; naive per domain: ${rounds.map((r) => s(r.naivePerDomainMs)).join(', ')}`,
  );
}
