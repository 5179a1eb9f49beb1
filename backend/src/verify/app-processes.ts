import { setTimeout as delay } from 'node:timers/promises';
import { normalizeAppRoot, parsePassengerStatus, type PassengerStatus, type ProcessInfo } from '../passenger/status-xml.js';
import type { RemoteRunner } from '../ssh/runner.js';
import { isTransientPoolError, readPool } from './pool-reads.js';

/**
 * The live Passenger processes of one app, read from the Passenger pool (pool-reads.ts: the core API,
 * shared by concurrent checks) and matched to the app by its root. A replaced process shows as a new pid/gupid.
 */

export type { RemoteRunner };

export type ObservedProcess = ProcessInfo;

export interface AppProcesses {
  appRoot: string;
  /** Passenger knows the app (it may still have no process, e.g. min instances 0 when idle). */
  known: boolean;
  /** The exact app group name(s) Passenger gives the app, `<app root> (<environment>)`: what a restart names. */
  groupNames: string[];
  processes: ObservedProcess[];
  /** The app's effective PassengerMinInstances, when Passenger reports it. */
  minProcesses: number | null;
  readAt: number;
}

export async function readAppProcesses(ssh: RemoteRunner, appRoot: string, options: { settleMs?: number } = {}): Promise<AppProcesses> {
  const settleUntil = Date.now() + (options.settleMs ?? 8_000);
  for (;;) {
    try {
      const read = await readPool(ssh);
      return appProcessesIn(read.status(), appRoot, read.startedAt);
    } catch (err) {
      if (!isTransientPoolError(err) || Date.now() >= settleUntil) throw err;
    }
    await delay(250);
  }
}

/** Picks the app's group out of a status document; an app Passenger does not know has no processes. */
export function matchAppProcesses(statusXml: string, appRoot: string, readAt = Date.now()): AppProcesses {
  return appProcessesIn(parsePassengerStatus(statusXml), appRoot, readAt);
}

function appProcessesIn(status: PassengerStatus, appRoot: string, readAt: number): AppProcesses {
  const wanted = normalizeAppRoot(appRoot);
  const groups = status.groups.filter((g) => normalizeAppRoot(g.appRoot) === wanted);
  return {
    appRoot,
    known: groups.length > 0,
    groupNames: groups.map((g) => g.name),
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
