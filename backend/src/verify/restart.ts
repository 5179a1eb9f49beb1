import { setTimeout as delay } from 'node:timers/promises';
import {
  describeProcesses,
  matchAppProcesses,
  readAppProcesses,
  servingProcesses,
  type AppProcesses,
  type ObservedProcess,
  type RemoteRunner,
} from './app-processes.js';
import { restartAppGroup, type RestartWait } from './core-api.js';
import { PassengerCommandError, RestartTimeoutError } from './errors.js';
import { ValidationError } from '../errors.js';
import { newestPassengerInstance } from './passenger-instance.js';

/**
 * Restarts one app by its exact app group name (the core API's restart, or `passenger-config restart-app
 * --name`; restart-app by path matches roots by prefix and would restart example.com.au with example.com)
 * and waits, bounded, until it serves
 * from new processes: no process seen before takes requests any more (old ones may linger
 * DETACHED while their open long-polls drain), at least one new one does, and a request
 * through the public path succeeds. Only this app is restarted, never the web server
 * (a reload would restart every app on the server, field-notes §1.2).
 */

export interface ServeCheck {
  ok: boolean;
  detail: string;
}

export interface RestartOptions {
  /** Proves the app answers through the public path (e.g. an Engine.IO handshake through nginx). */
  serves: () => Promise<ServeCheck>;
  /** Upper bound for the restart command plus the wait, default 30 000 ms. */
  timeoutMs?: number;
  /** Pause between two looks at the pool, default 100 ms (a look itself takes about as long over SSH). */
  pollMs?: number;
}

export interface RestartResult {
  appRoot: string;
  /** The app groups restarted, by exact name (none when Passenger did not know the app yet). */
  groups: string[];
  before: ObservedProcess[];
  /** The new processes that take requests. */
  after: ObservedProcess[];
  /** Old processes still finishing open requests (DETACHED); they take no new ones. */
  draining: ObservedProcess[];
  /** Epoch ms: command sent, and the moment the new processes were seen serving. */
  restartedAt: number;
  servedAt: number;
  /** From the restart command until the app served again. */
  ms: number;
  polls: number;
  serveCheck: ServeCheck;
}

export async function restartApp(ssh: RemoteRunner, appRoot: string, options: RestartOptions): Promise<RestartResult> {
  const timeoutMs = options.timeoutMs ?? 30_000;
  const pollMs = options.pollMs ?? 100;
  if (!appRoot.startsWith('/'))
    throw new ValidationError(`app root must be an absolute path, got ${JSON.stringify(appRoot)}`, { field: 'appRoot' });
  const before = await readAppProcesses(ssh, appRoot);
  const oldGupids = new Set(before.processes.map((p) => p.gupid));
  const restartedAt = Date.now();
  const deadline = restartedAt + timeoutMs;
  // Passenger respawns min instances itself after a restart, and the command can wait for them on the
  // server; with min instances 0 (or unknown) only a request spawns one: the serve check below.
  const min = before.minProcesses ?? 0;
  const wait = min > 0 ? { appRoot, wanted: min, oldGupids: [...oldGupids], maxWaitMs: Math.min(10_000, timeoutMs / 2) } : undefined;
  // An app Passenger does not know yet has nothing to restart: the serve check below spawns it.
  let seen: string | undefined;
  for (const [i, group] of before.groupNames.entries()) {
    seen = await restartGroup(ssh, group, timeoutMs, i === before.groupNames.length - 1 ? wait : undefined);
  }

  let polls = 0;
  let servedByNew: ServeCheck | undefined;
  let lastSeen = 'nothing read yet';
  let current: AppProcesses = before;
  while (Date.now() < deadline) {
    polls++;
    // The restart command's last look at the pool, when it took one, is the first poll.
    current = (seen && parsedOrUndefined(seen, appRoot)) || (await readAppProcesses(ssh, appRoot));
    seen = undefined;
    const serving = servingProcesses(current.processes);
    const fresh = serving.filter((p) => !oldGupids.has(p.gupid));
    const stale = serving.filter((p) => oldGupids.has(p.gupid));
    const draining = current.processes.filter((p) => oldGupids.has(p.gupid) && !stale.includes(p));
    // Passenger spawns up to min instances after a restart; probing before they are all up would
    // judge a different process layout than the one users get.
    const wanted = Math.max(1, current.minProcesses ?? 1);
    lastSeen = `${describeProcesses(current.processes)}; new serving: ${fresh.length} of ${wanted}, old still serving: ${stale.length}, draining: ${draining.length}`;
    const replaced = fresh.length >= wanted && stale.length === 0;
    const result = (serveCheck: ServeCheck): RestartResult => {
      const servedAt = Date.now();
      return {
        appRoot,
        groups: before.groupNames,
        before: before.processes,
        after: fresh,
        draining,
        restartedAt,
        servedAt,
        ms: servedAt - restartedAt,
        polls,
        serveCheck,
      };
    };
    if (replaced && servedByNew) return result(servedByNew);
    if (serving.length === 0 || replaced) {
      // With no process at all (lazy spawning, min instances 0) the request makes Passenger spawn one.
      const serveCheck = await options.serves();
      lastSeen += `; ${serveCheck.detail}`;
      // No old process took requests when it was sent (none served): whatever answered it was new.
      if (serveCheck.ok) servedByNew = serveCheck;
      if (serveCheck.ok && replaced) return result(serveCheck);
    }
    await delay(Math.min(pollMs, Math.max(0, deadline - Date.now())));
  }
  throw new RestartTimeoutError(appRoot, timeoutMs, lastSeen);
}

function parsedOrUndefined(poolXml: string, appRoot: string): AppProcesses | undefined {
  try {
    return matchAppProcesses(poolXml, appRoot);
  } catch {
    return undefined; // cut short by the command's deadline: read the pool again instead
  }
}

/**
 * Restarts exactly one app group: through the core API (then waits there, when asked, and returns the last
 * pool.xml it read), else with passenger-config (Ruby) naming the group.
 */
async function restartGroup(ssh: RemoteRunner, group: string, timeoutMs: number, wait?: RestartWait): Promise<string | undefined> {
  const api = await restartAppGroup(ssh, group, wait, timeoutMs);
  if (api.ok) return api.value || undefined;
  if (api.reason === 'refused') throw new PassengerCommandError('POST /pool/restart_app_group.json', api.detail);
  let command = ['passenger-config', 'restart-app', '--name', group, '--ignore-app-not-running'];
  let run = await ssh.exec(command, { timeoutMs, allowFail: true });
  const instance = run.code === 0 ? undefined : await newestPassengerInstance(ssh, run.stderr || run.stdout);
  if (instance) {
    command = [...command, '--instance', instance];
    run = await ssh.exec(command, { timeoutMs, allowFail: true });
  }
  if (run.code !== 0) {
    throw new PassengerCommandError(command.join(' '), `exit ${run.code}: ${(run.stderr || run.stdout).trim().slice(0, 400)}`);
  }
  return undefined;
}
