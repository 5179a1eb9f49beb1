/**
 * The one bring-up sequence after files were written (or restored): Plesk regeneration when the set of
 * admin files changed, one config test over the whole tree, at most one reload per web server, a check
 * that the web server survived its reload (Debian's Apache + mod_passenger sometimes dies on a graceful
 * one: start it again), then a bounded wait for the new Passenger instance so verification judges the
 * new generation.
 */
import type { EventSink } from '../events.js';
import { stepEvent } from '../events.js';
import type { WebServer } from '../passenger/catalog.js';
import { WebServerError, regenerateCommand } from '../plesk/web-server.js';
import type { ChangePlan } from './plan.js';
import type { ServerOps } from './server-ops.js';

/** What one bring-up does; computed from the plans (forward) or from what the change did (restore). */
export interface BringUpSteps {
  regenerate: string[];
  test: WebServer[];
  reload: WebServer[];
}

/** What a bring-up did so far: a failure later in the change knows what to undo. */
export interface BringUpState {
  regenerated: string[];
  reloaded: WebServer[];
  configTests: number;
  reloads: number;
  testOutput: string;
}

export function newBringUpState(): BringUpState {
  return { regenerated: [], reloaded: [], configTests: 0, reloads: 0, testOutput: '' };
}

export interface BringUpItem {
  plan: Pick<ChangePlan, 'domain' | 'files' | 'regenerateNeeded' | 'reloadNeeded'>;
  webServer: WebServer;
}

/** Forward steps: regenerate where the file set changes, test what the files feed, reload what needs it. */
export function stepsFor(items: readonly BringUpItem[]): BringUpSteps {
  const regenerate = items.filter((i) => i.plan.regenerateNeeded).map((i) => i.plan.domain);
  const test = new Set<WebServer>();
  const reload = new Set<WebServer>();
  for (const { plan, webServer } of items) {
    // .htaccess is read per request and never by the config test: it needs neither.
    if (plan.files.some((f) => f.kind !== 'htaccess')) test.add(webServer);
    if (plan.files.some((f) => f.kind === 'vhost_nginx')) test.add('nginx');
    if (plan.reloadNeeded) reload.add(webServer);
  }
  // Plesk's regeneration rewrites the nginx side too.
  if (regenerate.length > 0) test.add('nginx');
  return { regenerate, test: [...test], reload: [...reload] };
}

/**
 * Steps that load restored files: regenerate again where Plesk already regenerated (the include set
 * changes back), reload what was reloaded; files never loaded need only the config test.
 */
export function restoreStepsFor(items: readonly BringUpItem[], did: BringUpState): BringUpSteps {
  const forward = stepsFor(items);
  return {
    regenerate: forward.regenerate.filter((d) => did.regenerated.includes(d)),
    test: forward.test,
    reload: forward.reload.filter((ws) => did.reloaded.includes(ws)),
  };
}

type Emit = (step: string, status: 'start' | 'ok' | 'fail' | 'info', message: string, data?: unknown) => void;

export function emitterFor(events: EventSink, where: { server: string; domain?: string }, prefix = ''): Emit {
  return (step, status, message, data) =>
    events(stepEvent(`${prefix}${step}`, status, message, { ...where, ...(data === undefined ? {} : { data }) }));
}

/** Runs the steps; throws WebServerError when the config test rejects the tree or a reload fails. */
export async function bringUp(
  ops: ServerOps,
  steps: BringUpSteps,
  state: BringUpState,
  emit: Emit,
  opts: { instanceTimeoutMs?: number; pollMs?: number } = {},
): Promise<void> {
  const willReload = steps.regenerate.length > 0 || steps.reload.length > 0;
  const instanceBefore = willReload ? await ops.passengerInstance() : undefined;
  if (steps.regenerate.length > 0) {
    emit('regenerate', 'start', `${regenerateCommand(steps.regenerate)} (Plesk includes the changed file set, tests and reloads)`);
    await ops.regenerate(steps.regenerate);
    state.regenerated.push(...steps.regenerate);
    state.reloads += 1;
    state.reloaded.push('apache', 'nginx');
    emit('regenerate', 'ok', 'Plesk regenerated the config and reloaded the web servers');
  }
  if (steps.test.length === 0) {
    emit('config-test', 'info', 'No config test needed: only .htaccess changed, which the config test does not read');
  } else {
    emit(
      'config-test',
      'start',
      `Testing the whole config: ${steps.test.map((s) => (s === 'apache' ? 'apache2ctl -t' : 'nginx -t')).join(', ')}`,
    );
    const test = await ops.configTest(steps.test);
    state.configTests += 1;
    state.testOutput = test.output;
    if (!test.ok) {
      emit('config-test', 'fail', test.output);
      throw new WebServerError(
        'config_test_failed',
        "The web server's config test rejected the change",
        test.output,
        'the change is restored from its checkpoint; the test output names the directive it refused',
      );
    }
    emit('config-test', 'ok', 'Config test passed');
  }
  // Plesk's regeneration already reloaded every web server.
  const toReload = steps.regenerate.length > 0 ? [] : steps.reload;
  for (const ws of toReload) {
    emit('reload', 'start', `Reloading ${ws} once (gracefully)`);
    state.reloaded.push(ws);
    await ops.reload(ws);
    state.reloads += 1;
    emit('reload', 'ok', `${ws} reloaded`);
  }
  if (!willReload) {
    emit(
      'reload',
      'info',
      steps.test.length === 0
        ? 'No reload needed: only .htaccess changed, which the web server reads on every request'
        : 'No reload needed: the running web server never loaded these files',
    );
    return;
  }
  // The web servers that run the changed domains (Plesk's regeneration reloads them too); a server this
  // change does not use may be stopped on purpose and is left alone.
  await keepUp(ops, steps.reload, emit);
  await waitForNewInstance(ops, instanceBefore, toReload.includes('apache') || steps.regenerate.length > 0, emit, opts);
}

/** After a reload: a web server that died on it is started again (its config just passed the test). */
async function keepUp(ops: ServerOps, servers: readonly WebServer[], emit: Emit): Promise<void> {
  for (const ws of servers) {
    if (await ops.webServerUp(ws)) continue;
    emit('web-server', 'fail', `${ws} is not running after the reload; starting it again`);
    await ops.startWebServer(ws);
    emit('web-server', 'ok', `${ws} started again`);
  }
}

/**
 * A graceful reload returns at once, but the server re-reads every vhost and Passenger starts a new core
 * (seconds on a server with hundreds of domains). Verifying before that would judge the old generation
 * or find no Passenger at all, so wait, bounded, for a new instance to answer.
 */
async function waitForNewInstance(
  ops: ServerOps,
  before: string | undefined,
  expectNew: boolean,
  emit: Emit,
  opts: { instanceTimeoutMs?: number; pollMs?: number },
): Promise<void> {
  const timeoutMs = opts.instanceTimeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  emit('instance', 'start', 'Waiting for the new Passenger instance');
  for (;;) {
    const now = await ops.passengerInstance();
    if (now !== undefined && (!expectNew || now !== before)) {
      emit('instance', 'ok', `Passenger instance ${now} answers`);
      return;
    }
    if (Date.now() > deadline) {
      emit('instance', 'fail', `No new Passenger instance within ${timeoutMs / 1000} s`);
      throw new WebServerError(
        'web_server_reload',
        `Passenger did not answer with a new instance within ${timeoutMs / 1000} s after the reload`,
        '',
        'check the web server error log; the config test passed, so the reload itself is what is slow or failing',
      );
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 250));
  }
}
