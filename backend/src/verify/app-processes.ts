import { setTimeout as delay } from 'node:timers/promises';
import { normalizeAppRoot, parsePassengerStatus, type ProcessInfo } from '../passenger/status-xml.js';
import type { RemoteRunner } from '../ssh/runner.js';
import { PassengerCommandError } from './errors.js';
import { newestPassengerInstance } from './passenger-instance.js';

/**
 * The live Passenger processes of one app, read over SSH from `passenger-status --show=xml`
 * and matched to the app by its root. A replaced process shows as a new pid/gupid.
 */

export type { RemoteRunner };

export type ObservedProcess = ProcessInfo;

export interface AppProcesses {
  appRoot: string;
  /** Passenger knows the app (it may still have no process, e.g. min instances 0 when idle). */
  known: boolean;
  processes: ObservedProcess[];
  /** The app's effective PassengerMinInstances, when Passenger reports it. */
  minProcesses: number | null;
  readAt: number;
}

const STATUS_COMMAND = ['passenger-status', '--show=xml'];

// Seen on the test host during an Apache restart or graceful reload: for a moment the old instance
// is still registered beside the new one, or none is. Both pass within seconds.
const TRANSIENT_STATUS =
  /multiple Phusion Passenger\(R\) instances are running|no Phusion Passenger\(R\) instances running|doesn't seem to be running/i;

export async function readAppProcesses(
  ssh: RemoteRunner,
  appRoot: string,
  options: { timeoutMs?: number; settleMs?: number } = {},
): Promise<AppProcesses> {
  const settleUntil = Date.now() + (options.settleMs ?? 8_000);
  const timeoutMs = options.timeoutMs ?? 15_000;
  for (;;) {
    const run = await ssh.exec(STATUS_COMMAND, { timeoutMs, allowFail: true });
    if (run.code === 0) return matchAppProcesses(run.stdout, appRoot);
    const output = (run.stderr || run.stdout).trim();
    const newest = await newestPassengerInstance(ssh, output);
    if (newest) {
      // The old instance of a reloaded web server drains held long-polls for up to Engine.IO's 25 s
      // pingInterval; the newest one is the instance that serves.
      const named = await ssh.exec(['passenger-status', newest, '--show=xml'], { timeoutMs, allowFail: true });
      if (named.code === 0) return matchAppProcesses(named.stdout, appRoot);
    }
    if (!TRANSIENT_STATUS.test(output) || Date.now() >= settleUntil) {
      throw new PassengerCommandError(STATUS_COMMAND.join(' '), `exit ${run.code}: ${output.slice(0, 400)}`);
    }
    await delay(500);
  }
}

/** Picks the app's group out of a status document; an app Passenger does not know has no processes. */
export function matchAppProcesses(statusXml: string, appRoot: string, readAt = Date.now()): AppProcesses {
  const wanted = normalizeAppRoot(appRoot);
  const groups = parsePassengerStatus(statusXml).groups.filter((g) => normalizeAppRoot(g.appRoot) === wanted);
  return {
    appRoot,
    known: groups.length > 0,
    processes: groups.flatMap((g) => g.processes),
    minProcesses: groups[0]?.minProcesses ?? null,
    readAt,
  };
}

/**
 * Processes that take new requests. After a restart Passenger keeps the old processes, DETACHED,
 * until their open requests end (a held long-poll can keep one for the whole Engine.IO
 * pingInterval, 25 s by default); they get no new request and must not count as serving.
 */
export function servingProcesses(processes: readonly ObservedProcess[]): ObservedProcess[] {
  return processes.filter((p) => p.lifeStatus === 'ALIVE' && p.enabled === 'ENABLED');
}

/** "2 processes: pid 123 (gupid ab-1), pid 456 (gupid ab-2)" for messages and events. */
export function describeProcesses(processes: readonly ObservedProcess[]): string {
  if (processes.length === 0) return 'no process';
  return `${processes.length} process${processes.length === 1 ? '' : 'es'}: ${processes.map((p) => `pid ${p.pid}`).join(', ')}`;
}
