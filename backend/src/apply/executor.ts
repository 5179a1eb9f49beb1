import { PanelError, errorMessage } from '../errors.js';
import { type EventSink, stepEvent } from '../events.js';
import type { WebServer } from '../passenger/catalog.js';
import { configTest, regenerateDomain, reloadWebServer } from '../plesk/web-server.js';
import { readFiles, type RemoteFile } from '../ssh/files.js';
import type { SshSession } from '../ssh/session.js';
import type { ChangePlan, FileChange } from './plan.js';
import { FileChangedError, putFileStates, readGuarded, shaOf } from './remote-files.js';

/** An exact copy of one file before a change; `existed: false` records that the change created it. */
export interface CheckpointFileCopy {
  path: string;
  existed: boolean;
  bytes: Buffer;
  /** sha256 of the bytes, or ABSENT */
  sha256: string;
  mode?: string;
}

export interface CheckpointCopy {
  id: string;
  server: string;
  domain: string;
  createdAt: string;
  files: CheckpointFileCopy[];
}

/** What happened to the server while a plan was carried out. */
export interface ExecuteOutcome {
  status: 'applied' | 'nothing-to-do' | 'refused' | 'rolled-back' | 'rollback-failed';
  checkpointId: string | null;
  /** Web-server reloads this run caused (a Plesk regeneration reloads too and counts as one). */
  reloads: number;
  regenerated: boolean;
  configTest?: string;
  error?: string;
  errorCode?: string;
  /** sha256 per touched path after the run (what the server holds now). */
  after: Record<string, string>;
}

export interface ExecuteContext {
  session: SshSession;
  /** Stores the copies (in the SQLite store) and returns the checkpoint id. */
  saveCheckpoint: (files: CheckpointFileCopy[], reason: string) => string;
  events: EventSink;
  /** Which web server runs Passenger for the domain (reload target). */
  webServer: WebServer;
}

function afterBytes(f: FileChange): Buffer | undefined {
  return f.existsAfter ? Buffer.from(f.after, f.encoding) : undefined;
}

function serversToTest(webServer: WebServer, kinds: ReadonlyArray<FileChange['kind']>, regenerated: boolean): WebServer[] {
  const servers = new Set<WebServer>([webServer]);
  // Plesk's regeneration rewrites the nginx side too; vhost_nginx.conf is read only by nginx.
  if (regenerated || kinds.includes('vhost_nginx')) servers.add('nginx');
  return [...servers];
}

/**
 * Carries out a plan on one domain: checkpoint (the guarded read: refuse if any file changed since
 * the plan), write, regenerate where Plesk must include a new file, config test over the whole tree,
 * one reload only when a written file needs it. On any failure after the first write it restores the
 * checkpoint, tests and reloads again, and reports what happened; it never leaves a config that
 * fails the web server's own test when the restore can avoid it.
 */
export async function executePlan(plan: ChangePlan, ctx: ExecuteContext, reason: string): Promise<ExecuteOutcome> {
  const { session, events } = ctx;
  const emit = (step: string, status: 'start' | 'ok' | 'fail' | 'info', message: string, data?: unknown) =>
    events(stepEvent(step, status, message, { domain: plan.domain, server: plan.server, ...(data === undefined ? {} : { data }) }));
  const outcome: ExecuteOutcome = { status: 'applied', checkpointId: null, reloads: 0, regenerated: false, after: {} };

  if (plan.nothingToDo) {
    emit('plan', 'info', plan.summary);
    outcome.status = 'nothing-to-do';
    return outcome;
  }

  emit('checkpoint', 'start', `Copying ${plan.files.length} file(s) before the change`);
  let current: RemoteFile[];
  try {
    current = await readGuarded(
      session,
      plan.files.map((f) => ({ path: f.path, sha256: f.beforeSha256 })),
    );
  } catch (err) {
    emit('checkpoint', 'fail', errorMessage(err));
    if (err instanceof FileChangedError) {
      outcome.status = 'refused';
      outcome.error = errorMessage(err);
      outcome.errorCode = err.code;
      return outcome;
    }
    throw err;
  }
  const copies: CheckpointFileCopy[] = current.map((f) => ({
    path: f.path,
    existed: f.exists,
    bytes: f.bytes,
    sha256: shaOf(f),
    ...(f.mode ? { mode: f.mode } : {}),
  }));
  outcome.checkpointId = ctx.saveCheckpoint(copies, reason);
  emit(
    'checkpoint',
    'ok',
    `Checkpoint ${outcome.checkpointId}: ${current.map((f) => `${f.path}${f.exists ? '' : ' (did not exist)'}`).join(', ')}`,
    {
      checkpointId: outcome.checkpointId,
    },
  );

  const state = { wrote: false, regenerated: false, reloaded: false };
  try {
    emit('write', 'start', `Writing the managed block in ${plan.files.map((f) => f.path).join(', ')}`);
    state.wrote = true;
    await putFileStates(
      session,
      plan.files.map((f) => ({ path: f.path, bytes: afterBytes(f) })),
    );
    emit('write', 'ok', `Wrote ${plan.files.length} file(s) atomically (temp file + rename, mode and owner kept)`);

    await bringUp(plan, ctx, state, outcome, emit);
    outcome.status = 'applied';
  } catch (err) {
    outcome.error = errorMessage(err);
    outcome.errorCode = err instanceof PanelError ? err.code : 'unexpected';
    emit('apply', 'fail', `The change failed: ${outcome.error}; restoring checkpoint ${outcome.checkpointId}`);
    const restored = await restoreFiles(
      copies,
      plan,
      ctx,
      { regenerate: state.regenerated, reloadAfter: state.reloaded || state.regenerated },
      outcome,
      emit,
    );
    outcome.status = restored ? 'rolled-back' : 'rollback-failed';
  }
  outcome.after = await currentHashes(
    session,
    plan.files.map((f) => f.path),
  );
  return outcome;
}

async function currentHashes(session: SshSession, paths: string[]): Promise<Record<string, string>> {
  const files = await readFiles(session, paths);
  return Object.fromEntries(files.map((f) => [f.path, shaOf(f)]));
}

type Emit = (step: string, status: 'start' | 'ok' | 'fail' | 'info', message: string, data?: unknown) => void;

/** Regenerate (if a vhost file appeared or went), config test, reload (if needed and not done by Plesk). */
async function bringUp(
  plan: Pick<ChangePlan, 'domain' | 'files' | 'regenerateNeeded' | 'reloadNeeded'>,
  ctx: ExecuteContext,
  state: { regenerated: boolean; reloaded: boolean },
  outcome: ExecuteOutcome,
  emit: Emit,
): Promise<void> {
  const { session } = ctx;
  if (plan.regenerateNeeded) {
    emit('regenerate', 'start', `plesk sbin httpdmng --reconfigure-domain ${plan.domain} (Plesk includes the new file, tests and reloads)`);
    state.regenerated = true;
    await regenerateDomain(session, plan.domain);
    state.reloaded = true;
    outcome.regenerated = true;
    outcome.reloads += 1;
    emit('regenerate', 'ok', 'Plesk regenerated the config and reloaded the web servers');
  }
  const servers = serversToTest(
    ctx.webServer,
    plan.files.map((f) => f.kind),
    state.regenerated,
  );
  emit(
    'config-test',
    'start',
    `Testing the whole config: ${servers.map((s) => (s === 'apache' ? 'apache2ctl -t' : 'nginx -t')).join(', ')}`,
  );
  const test = await configTest(session, servers);
  outcome.configTest = test.output;
  if (!test.ok) {
    emit('config-test', 'fail', test.output);
    throw new PanelError('config_test_failed', `The web server's config test rejected the change`, {
      hint: test.output.split('\n').slice(-2).join(' '),
    });
  }
  emit('config-test', 'ok', 'Config test passed');
  if (plan.reloadNeeded && !state.reloaded) {
    emit('reload', 'start', `Reloading ${ctx.webServer} once (gracefully)`);
    await reloadWebServer(session, ctx.webServer);
    state.reloaded = true;
    outcome.reloads += 1;
    emit('reload', 'ok', `${ctx.webServer} reloaded`);
  } else if (!plan.reloadNeeded) {
    emit('reload', 'info', 'No reload needed: only .htaccess changed, which the web server reads on every request');
  }
}

/**
 * Puts checkpointed files back (deleting those that did not exist), then regenerates / tests / reloads
 * so the running server matches the restored files. Returns false when the restore itself failed.
 */
export async function restoreFiles(
  files: readonly CheckpointFileCopy[],
  plan: Pick<ChangePlan, 'domain' | 'files'>,
  ctx: ExecuteContext,
  opts: { regenerate: boolean; reloadAfter: boolean },
  outcome: ExecuteOutcome,
  emit: Emit,
): Promise<boolean> {
  const { session } = ctx;
  try {
    emit('restore', 'start', `Restoring ${files.length} file(s) from the checkpoint`);
    await putFileStates(
      session,
      files.map((f) => ({ path: f.path, bytes: f.existed ? f.bytes : undefined })),
    );
    emit('restore', 'ok', `Restored ${files.map((f) => `${f.path}${f.existed ? '' : ' (removed: it did not exist)'}`).join(', ')}`);
    if (opts.regenerate) {
      emit('regenerate', 'start', `plesk sbin httpdmng --reconfigure-domain ${plan.domain} (back to the old include set)`);
      await regenerateDomain(session, plan.domain);
      outcome.reloads += 1;
      emit('regenerate', 'ok', 'Plesk regenerated the config and reloaded the web servers');
    }
    const servers = serversToTest(
      ctx.webServer,
      plan.files.map((f) => f.kind),
      opts.regenerate,
    );
    const test = await configTest(session, servers);
    outcome.configTest = test.output;
    if (!test.ok) {
      emit('config-test', 'fail', `After the restore the config test still fails: ${test.output}`);
      return false;
    }
    emit('config-test', 'ok', 'Config test passes after the restore');
    if (opts.reloadAfter && !opts.regenerate) {
      await reloadWebServer(session, ctx.webServer);
      outcome.reloads += 1;
      emit('reload', 'ok', `${ctx.webServer} reloaded with the restored config`);
    }
    return true;
  } catch (err) {
    emit('restore', 'fail', `Restoring the checkpoint failed: ${errorMessage(err)}`);
    return false;
  }
}
