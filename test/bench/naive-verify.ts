/**
 * The naive way's verification for the benches: the same checks as ours (restart of the app, the overlap
 * probe with browser cookie rules, the WebSocket attempt, the process watch), done the way an admin does
 * them by hand: Passenger's own tools (`passenger-config restart-app <app root>`, `passenger-status`
 * every few hundred ms until new pids serve), then each check after the other. Ours is verify/verifier.ts.
 */
import { setTimeout as delay } from 'node:timers/promises';
import type { RemoteRunner } from '../../backend/src/ssh/runner.js';
import { matchAppProcesses, servingProcesses } from '../../backend/src/verify/app-processes.js';
import { checkHandshake, runOverlapProbe } from '../../backend/src/verify/engineio-probe.js';
import type { PublicTarget } from '../../backend/src/verify/http-client.js';
import { newestPassengerInstance } from '../../backend/src/verify/passenger-instance.js';
import type { VerifyTarget } from '../../backend/src/verify/verifier.js';
import { checkWebSocket } from '../../backend/src/verify/websocket-check.js';

/** Runs a Passenger tool; while a reload leaves two instances it refuses, and an admin names the newest. */
async function passengerTool(ssh: RemoteRunner, argv: string[], naming: (instance: string) => string[]): Promise<string> {
  const run = await ssh.exec(argv, { timeoutMs: 30_000, allowFail: true });
  if (run.code === 0) return run.stdout;
  const instance = await newestPassengerInstance(ssh, run.stderr || run.stdout);
  if (!instance) throw new Error(`${argv.join(' ')}: exit ${run.code}: ${(run.stderr || run.stdout).slice(0, 300)}`);
  return (await ssh.exec(naming(instance), { timeoutMs: 30_000 })).stdout;
}

async function servingGupids(ssh: RemoteRunner, appRoot: string): Promise<string[]> {
  const xml = await passengerTool(ssh, ['passenger-status', '--show=xml'], (i) => ['passenger-status', i, '--show=xml']);
  return servingProcesses(matchAppProcesses(xml, appRoot).processes).map((p) => p.gupid);
}

export interface NaiveVerdict {
  /** Every check passed, as our verdict would say. */
  ok: boolean;
  /** Time spent in the process watch (the benches report figures without it). */
  watchMs: number;
}

export async function naiveVerify(
  ssh: RemoteRunner,
  target: VerifyTarget,
  scheme: 'http' | 'https',
  watchMs: number,
): Promise<NaiveVerdict> {
  const pub: PublicTarget = {
    domain: target.domain,
    scheme,
    address: target.endpoint.address,
    port: scheme === 'https' ? target.endpoint.httpsPort : target.endpoint.httpPort,
    acceptSelfSignedOnTestHost: true,
  };
  const old = new Set(await servingGupids(ssh, target.appRoot));
  const restart = ['passenger-config', 'restart-app', target.appRoot, '--ignore-app-not-running'];
  await passengerTool(ssh, restart, (i) => [...restart, '--instance', i]);
  const deadline = Date.now() + 30_000;
  let now: string[] = [];
  for (;;) {
    now = await servingGupids(ssh, target.appRoot);
    const replaced = now.length > 0 && now.every((g) => !old.has(g));
    if ((now.length === 0 || replaced) && (await checkHandshake(pub, { socketIoPath: target.socketIoPath })).ok && replaced) break;
    if (Date.now() > deadline) return { ok: false, watchMs: 0 };
    await delay(300);
  }
  const probe = await runOverlapProbe(pub, { socketIoPath: target.socketIoPath, rounds: 10 });
  const ws = await checkWebSocket(pub, { socketIoPath: target.socketIoPath, integration: target.integration });
  const watchStart = Date.now();
  const end = watchStart + watchMs;
  let stable = true;
  while (Date.now() < end) {
    await delay(Math.min(1_000, Math.max(0, end - Date.now())));
    const seen = new Set(await servingGupids(ssh, target.appRoot));
    stable &&= now.every((g) => seen.has(g));
  }
  return { ok: probe.ok && ws.outcome !== 'failed' && stable, watchMs: Date.now() - watchStart };
}
