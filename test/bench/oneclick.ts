/**
 * Bench part `oneclick`: wall time of the one-click flow for one domain (apply + live verification),
 * with the process-watch window reported on its own, and the web-server reloads it caused, beside the
 * naive way an admin would do it by hand (append the directives to vhost.conf/vhost_ssl.conf, Plesk
 * reconfigure, a reload "to be sure", then the same verification; and once more with the same checks done
 * by hand with Passenger's own tools, naive-verify.ts). Prints figures; asserts nothing.
 * Ours is broken down per step from the engine's own step events (their timestamps); the naive way's
 * steps are timed around each command it runs, and its verification from the verifier's events.
 * Changes the test host: run under `flock /var/lock/pp-host.lock` (it resets the host around each run).
 */
import { DomainLocks } from '../../backend/src/apply/domain-lock.js';
import { naiveVerify } from './naive-verify.js';
import type { ServerConfig } from '../../backend/src/config/types.js';
import type { StepEvent } from '../../backend/src/events.js';
import { ChangeService } from '../../backend/src/jobs/change-service.js';
import { sshPorts } from '../../backend/src/jobs/ports.js';
import { SessionPool } from '../../backend/src/ssh/pool.js';
import type { SshSession } from '../../backend/src/ssh/session.js';
import { createStore, openDatabase } from '../../backend/src/store/index.js';
import { DomainLockRows } from '../../backend/src/store/domain-locks.js';
import { verifyDomain } from '../../backend/src/verify/verifier.js';
import { demoDomainSpecs, loadConnection, resetHost } from '../support/testhost.js';

const DOMAIN = 'multi.demo.test';
const RUNS = Number(process.env.PP_BENCH_ONECLICK_RUNS ?? 3);
const WATCH_MS = 10_000;
const ENDPOINT = { address: '127.0.0.1', httpPort: 8080, httpsPort: 8443, acceptSelfSignedOnTestHost: true };

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

async function apacheReloads(session: SshSession): Promise<number> {
  const res = await session.exec(['sh', '-c', 'grep -c "resuming normal operations" /var/log/apache2/error.log || true']);
  return Number(res.stdout.trim());
}

/** Milliseconds between the watch's start and end events: the part of the flow that is pure waiting. */
function watchMs(events: readonly StepEvent[]): number {
  const start = events.find((e) => e.step === 'verify.watch' && e.status === 'start');
  const end = events.find((e) => e.step === 'verify.watch' && e.status !== 'start');
  return start && end ? Date.parse(end.at) - Date.parse(start.at) : 0;
}

interface Sample {
  totalMs: number;
  watchMs: number;
  reloads: number;
  verified: boolean;
  /** Milliseconds per step (STEPS labels). */
  steps: Record<string, number>;
}

/** The breakdown's rows: a label and the event steps whose start..end time it sums. */
const STEPS: Array<[string, string[]]> = [
  ['plan', ['plan']],
  ['checkpoint', ['checkpoint']],
  ['write', ['write']],
  ['config test', ['config-test']],
  ['reload (+ regenerate, new instance)', ['regenerate', 'reload', 'web-server', 'instance']],
  ['restart', ['verify.restart']],
  ['probe (+ baseline)', ['verify.baseline', 'verify.probe']],
  ['websocket', ['verify.websocket']],
  ['watch', ['verify.watch']],
];

/**
 * Per step: from each `start` event to the next event of the same step. A step without a start event
 * (the plan, the baseline probe) counts from the event before it, or from t0 for the first.
 */
function stepTimes(events: readonly StepEvent[], t0: number): Record<string, number> {
  const out: Record<string, number> = {};
  const open = new Map<string, number>();
  let previous = t0;
  for (const e of events) {
    const at = Date.parse(e.at);
    const label = STEPS.find(([, steps]) => steps.includes(e.step))?.[0];
    if (e.status === 'start') open.set(e.step, at);
    else if (label) {
      const from = open.get(e.step) ?? previous;
      open.delete(e.step);
      out[label] = (out[label] ?? 0) + Math.max(0, at - from);
    }
    previous = at;
  }
  return out;
}

async function oneClick(service: ChangeService, server: ServerConfig, session: SshSession): Promise<Sample> {
  const events: StepEvent[] = [];
  const reloadsBefore = await apacheReloads(session);
  const wall0 = Date.now();
  const t0 = performance.now();
  const result = await service.apply(
    server,
    DOMAIN,
    { kind: 'profile', profile: 'socketio-safe' },
    { actor: 'bench', events: (e) => events.push(e) },
  );
  const totalMs = performance.now() - t0;
  return {
    totalMs,
    watchMs: watchMs(events),
    reloads: (await apacheReloads(session)) - reloadsBefore,
    verified: result.status === 'verified',
    steps: stepTimes(events, wall0),
  };
}

/**
 * The naive change, then either our verifier or the same checks by hand with Passenger's own tools
 * (naive-verify.ts): the first isolates the change path, the second is the whole naive way.
 */
async function naive(server: ServerConfig, session: SshSession, appRoot: string, checks: 'our verifier' | 'by hand'): Promise<Sample> {
  const events: StepEvent[] = [];
  const reloadsBefore = await apacheReloads(session);
  const conf = `/var/www/vhosts/system/${DOMAIN}/conf`;
  const steps: Record<string, number> = {};
  const timed = async <T>(label: string, work: () => Promise<T>): Promise<T> => {
    const s0 = performance.now();
    const value = await work();
    steps[label] = (steps[label] ?? 0) + performance.now() - s0;
    return value;
  };
  const t0 = performance.now();
  await timed('write', () =>
    session.execScript('for f in "$@"; do printf "PassengerStickySessions on\\n" >> "$f"; done', [
      `${conf}/vhost.conf`,
      `${conf}/vhost_ssl.conf`,
    ]),
  );
  await timed('reload (+ regenerate, new instance)', async () => {
    await session.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', DOMAIN]);
    await session.exec(['apache2ctl', 'graceful']);
  });
  const target = {
    domain: DOMAIN,
    server: server.name,
    appRoot,
    socketIoPath: '/socket.io/',
    integration: 'apache' as const,
    endpoint: ENDPOINT,
  };
  const verifyStart = Date.now();
  const verdict =
    checks === 'by hand'
      ? await timed('checks by hand (restart, status, probe)', () => naiveVerify(session, target, 'https', WATCH_MS))
      : await verifyDomain(session, target, { watchWindowMs: WATCH_MS, scheme: 'https', events: (e) => events.push(e) }).then((r) => ({
          ok: r.ok,
          watchMs: watchMs(events),
        }));
  const totalMs = performance.now() - t0;
  if (checks === 'our verifier') Object.assign(steps, stepTimes(events, verifyStart));
  return { totalMs, watchMs: verdict.watchMs, reloads: (await apacheReloads(session)) - reloadsBefore, verified: verdict.ok, steps };
}

function breakdown(ours: Sample[], hand: Sample[], byHand: Sample[]): string[] {
  const cell = (samples: Sample[], label: string) => {
    const values = samples.map((s) => s.steps[label]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? '-' : String(Math.round(median(values)));
  };
  const labels = [...STEPS.map(([label]) => label), 'checks by hand (restart, status, probe)'];
  const rows = labels.map(
    (label) =>
      `${label.padEnd(40)} ${cell(ours, label).padStart(10)} ${cell(hand, label).padStart(10)} ${cell(byHand, label).padStart(10)}`,
  );
  return [`${'step (median ms)'.padEnd(40)} ${'ours'.padStart(10)} ${'naive'.padStart(10)} ${'by hand'.padStart(10)}`, ...rows];
}

function line(label: string, samples: Sample[]): string {
  const total = median(samples.map((s) => s.totalMs));
  const watch = median(samples.map((s) => s.watchMs));
  const reloads = median(samples.map((s) => s.reloads));
  const verified = samples.filter((s) => s.verified).length;
  return `${label.padEnd(52)} ${String(Math.round(total)).padStart(8)} ${String(Math.round(watch)).padStart(8)} ${String(Math.round(total - watch)).padStart(10)} ${String(reloads).padStart(8)} ${`${verified}/${samples.length}`.padStart(9)}`;
}

export async function run(): Promise<void> {
  const server: ServerConfig = {
    ...loadConnection(),
    socketIoPaths: Object.fromEntries(demoDomainSpecs().map((d) => [d.name, d.socketIoPath])),
  };
  const pool = new SessionPool();
  const db = openDatabase(':memory:');
  const store = createStore(db);
  const service = new ChangeService({
    ports: sshPorts(pool),
    journal: store.journal,
    locks: new DomainLocks(new DomainLockRows(db)),
    endpointFor: () => ENDPOINT,
    verifyDefaults: { watchWindowMs: WATCH_MS },
  });
  const ours: Sample[] = [];
  const hand: Sample[] = [];
  const byHand: Sample[] = [];
  try {
    const session = await pool.get(server);
    const appRoot = `/var/www/vhosts/${DOMAIN}/httpdocs`;
    for (let i = 0; i < RUNS; i++) {
      await resetHost();
      ours.push(await oneClick(service, server, session));
      await resetHost();
      hand.push(await naive(server, session, appRoot, 'our verifier'));
      await resetHost();
      byHand.push(await naive(server, session, appRoot, 'by hand'));
    }
  } finally {
    pool.closeAll();
    db.close();
    await resetHost();
  }
  console.log(`one-click flow for ${DOMAIN}, median of ${RUNS} runs each (watch window ${WATCH_MS} ms, verification included)`);
  console.log(
    `${'way'.padEnd(52)} ${'total ms'.padStart(8)} ${'watch ms'.padStart(8)} ${'w/o watch'.padStart(10)} ${'reloads'.padStart(8)} ${'verified'.padStart(9)}`,
  );
  console.log(line('ours: apply --profile socketio-safe', ours));
  console.log(line('naive: vhost*.conf + reconfigure + reload + verify', hand));
  console.log(line('naive, checks by hand (passenger-config/-status)', byHand));
  const ratio = (way: Sample[]) =>
    (median(ours.map((s) => s.totalMs - s.watchMs)) / median(way.map((s) => s.totalMs - s.watchMs))).toFixed(2);
  console.log(`ours / naive without the watch: ${ratio(hand)}x (same verifier), ${ratio(byHand)}x (checks by hand)`);
  console.log('');
  for (const row of breakdown(ours, hand, byHand)) console.log(row);
}
