import { setTimeout as delay } from 'node:timers/promises';
import { readAppProcesses, servingProcesses, type ObservedProcess, type RemoteRunner } from './app-processes.js';
import { ValidationError } from '../errors.js';

/**
 * Watches one app's processes for a while after a change. A process that disappears takes
 * every in-memory Socket.IO session with it (idle cleaning with min instances 0, max requests,
 * a crash), so any process of the baseline that goes away is an unexpected change. A process
 * that appears beside the baseline (Passenger spawning one more) is reported but loses nothing.
 */

export interface WatchOptions {
  /** How long to watch, default 10 000 ms. */
  windowMs?: number;
  /** Pause between two looks at the pool, default 1000 ms. */
  intervalMs?: number;
  /** The processes expected to survive; default: those seen at the start of the watch. */
  baseline?: ObservedProcess[];
  /** End the watch as soon as a baseline process is gone (the verdict is known then). Default false. */
  stopOnGone?: boolean;
}

export interface PidChange {
  at: string;
  kind: 'gone' | 'spawned';
  pid: number;
  gupid: string;
}

export interface WatchResult {
  ok: boolean;
  appRoot: string;
  windowMs: number;
  samples: number;
  baseline: ObservedProcess[];
  final: ObservedProcess[];
  changes: PidChange[];
  startedAt: string;
  ms: number;
}

export async function watchProcesses(ssh: RemoteRunner, appRoot: string, options: WatchOptions = {}): Promise<WatchResult> {
  const windowMs = options.windowMs ?? 10_000;
  const intervalMs = options.intervalMs ?? 1_000;
  if (!(windowMs >= 0 && windowMs <= 600_000))
    throw new ValidationError(`watch window must be 0-600000 ms, got ${windowMs}`, { field: 'watchWindowMs' });
  if (!(intervalMs >= 100)) throw new ValidationError(`watch interval must be at least 100 ms, got ${intervalMs}`, { field: 'intervalMs' });
  const started = Date.now();
  const end = started + windowMs;
  let samples = 0;
  const sample = async (): Promise<ObservedProcess[]> => {
    samples++;
    // A process Passenger detached (being replaced) takes no new request: for sessions it is gone.
    return servingProcesses((await readAppProcesses(ssh, appRoot)).processes);
  };
  const baseline = servingProcesses(options.baseline ?? (await sample()));
  const known = new Map(baseline.map((p) => [p.gupid, p]));
  const gone = new Set<string>();
  const changes: PidChange[] = [];
  let final = baseline;
  do {
    const wait = Math.min(intervalMs, end - Date.now());
    if (wait > 0) await delay(wait);
    final = await sample();
    const now = new Date().toISOString();
    const present = new Set(final.map((p) => p.gupid));
    for (const [gupid, p] of known) {
      if (!present.has(gupid) && !gone.has(gupid)) {
        gone.add(gupid);
        changes.push({ at: now, kind: 'gone', pid: p.pid, gupid });
      }
    }
    for (const p of final) {
      if (!known.has(p.gupid)) {
        known.set(p.gupid, p);
        changes.push({ at: now, kind: 'spawned', pid: p.pid, gupid: p.gupid });
      }
    }
  } while (Date.now() < end && !(options.stopOnGone && gone.size > 0));
  return {
    ok: !changes.some((c) => c.kind === 'gone'),
    appRoot,
    windowMs,
    samples,
    baseline,
    final,
    changes,
    startedAt: new Date(started).toISOString(),
    ms: Date.now() - started,
  };
}
