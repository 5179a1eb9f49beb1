/**
 * The one change engine. A single-domain change is a batch of one through the same code as a bulk batch
 * on one server: one guarded read that is also the checkpoint (a domain whose files changed since its
 * plan is refused on its own), one write of every file, one bring-up (bring-up.ts), and on any failure
 * after the first byte a restore of every checkpointed file followed by the bring-up that loads it.
 * Verification and its automatic rollback belong to the job above; rollbacks come back here as plans.
 */
import { PanelError, errorMessage } from '../errors.js';
import type { EventSink } from '../events.js';
import type { WebServer } from '../passenger/catalog.js';
import type { DomainState } from '../store/states.js';
import { type BringUpState, bringUp, emitterFor, newBringUpState, restoreStepsFor, stepsFor } from './bring-up.js';
import { type CheckpointFileCopy, type Checkpoints, classifyAgainstPlan, copiesFor, readPlanFiles, shaMap } from './checkpoints.js';
import type { ChangePlan } from './plan.js';
import type { RemoteFile } from '../ssh/files.js';
import type { ServerOps } from './server-ops.js';

export interface EngineItem {
  plan: ChangePlan;
  webServer: WebServer;
  /** Set when an interrupted job already took this domain's checkpoint: the engine then carries on from it. */
  checkpointId?: string;
  /** sha256 per path of what an earlier write left (known for resumed items whose write was recorded). */
  written?: Record<string, string>;
  /**
   * The files as read for the plan, when that read happened under this change's domain lock: they are
   * then the checkpoint (nothing of ours can have changed them since), which saves a round trip.
   */
  read?: ReadonlyMap<string, RemoteFile>;
}

/** What the engine did to one domain's files: one of the domain states (store/states.ts). */
export type EngineDomainStatus = Extract<
  DomainState,
  'applied' | 'nothing-to-do' | 'refused' | 'conflict' | 'rolled-back' | 'rollback-failed'
>;

export interface EngineDomainResult {
  domain: string;
  status: EngineDomainStatus;
  checkpointId: string | null;
  /** sha256 per path of what the write left (the "after" state this change owns). */
  written: Record<string, string>;
  message?: string;
  errorCode?: string;
}

export interface EngineResult {
  domains: EngineDomainResult[];
  /** Config tests, reloads and regenerations of the change and of its restore together. */
  bring: BringUpState;
  error?: string;
  errorCode?: string;
}

export interface EngineContext {
  server: string;
  checkpoints: Checkpoints;
  events: EventSink;
  /** Why the checkpoint is taken, for the store: `before profile socketio-safe`. */
  reason: string;
  /** A single-domain change names its domain on every engine event. */
  domain?: string;
  /** Once every checkpoint is saved and before the first byte is written: durable jobs record the ids here. */
  onCheckpointed?: (ready: readonly ReadyItem[]) => void;
  /** Once the files are written, before the bring-up. */
  onWritten?: (ready: readonly ReadyItem[]) => void;
  instanceTimeoutMs?: number;
}

export interface ReadyItem extends EngineItem {
  checkpointId: string;
  copies: CheckpointFileCopy[];
  written: Record<string, string>;
  /** sha256 (or ABSENT) of each file as the checkpoint step read it: the write's guard, checked before each rename. */
  guards: Record<string, string>;
}

export async function applyBatch(ops: ServerOps, items: readonly EngineItem[], ctx: EngineContext): Promise<EngineResult> {
  const emit = emitterFor(ctx.events, { server: ctx.server, ...(ctx.domain ? { domain: ctx.domain } : {}) });
  const results = new Map<string, EngineDomainResult>();
  const result = (): EngineResult => ({ domains: items.map((i) => results.get(i.plan.domain) as EngineDomainResult), bring });
  const bring = newBringUpState();
  const set = (domain: string, status: EngineDomainStatus, checkpointId: string | null, extra: Partial<EngineDomainResult> = {}) =>
    results.set(domain, { domain, status, checkpointId, written: {}, ...extra });
  for (const i of items) if (i.plan.nothingToDo) set(i.plan.domain, 'nothing-to-do', null, { message: i.plan.summary });
  const work = items.filter((i) => !i.plan.nothingToDo);
  if (work.length === 0) return result();

  const ready = await checkpoint(ops, work, ctx, emit, set);
  if (ready.length === 0) return result();
  ctx.onCheckpointed?.(ready);

  try {
    const files = ready.flatMap((r) => r.plan.files.map((f) => ({ ...f, guard: r.guards[f.path] })));
    emit('write', 'start', `Writing ${files.length} file(s): ${files.map((f) => f.path).join(', ')}`);
    const written = await ops.putFileStates(
      files.map((f) => ({
        path: f.path,
        bytes: f.existsAfter ? Buffer.from(f.after, f.encoding) : undefined,
        ...(f.guard ? { expectSha256: f.guard } : {}),
      })),
    );
    for (const r of ready) r.written = Object.fromEntries(r.plan.files.map((f) => [f.path, written[f.path] ?? '']));
    emit('write', 'ok', `Wrote ${files.length} file(s) atomically (temp file + rename, mode and owner kept)`);
    ctx.onWritten?.(ready);
    await bringUp(ops, stepsFor(ready), bring, emit, withTimeout(ctx));
    for (const r of ready) set(r.plan.domain, 'applied', r.checkpointId, { written: r.written });
    return result();
  } catch (err) {
    const error = errorMessage(err);
    const errorCode = err instanceof PanelError ? err.code : 'unexpected';
    emit('apply', 'fail', `The change failed: ${error}; restoring ${ready.length} domain(s) from their checkpoints`);
    const restoreError = await restore(ops, ready, bring, emit, ctx);
    for (const r of ready) {
      set(r.plan.domain, restoreError ? 'rollback-failed' : 'rolled-back', r.checkpointId, {
        written: r.written,
        message: restoreError ? `${error}; the restore failed too: ${restoreError}` : error,
        errorCode,
      });
    }
    return { ...result(), error, errorCode };
  }
}

function withTimeout(ctx: EngineContext): { instanceTimeoutMs?: number } {
  return ctx.instanceTimeoutMs === undefined ? {} : { instanceTimeoutMs: ctx.instanceTimeoutMs };
}

/** One read of every file: the guard and the copy for fresh domains, the readback for resumed ones. */
async function checkpoint(
  ops: ServerOps,
  work: readonly EngineItem[],
  ctx: EngineContext,
  emit: ReturnType<typeof emitterFor>,
  set: (domain: string, status: EngineDomainStatus, checkpointId: string | null, extra?: Partial<EngineDomainResult>) => void,
): Promise<ReadyItem[]> {
  const prefetched = work.every((i) => i.read && i.plan.files.every((f) => i.read?.has(f.path)));
  emit(
    'checkpoint',
    'start',
    prefetched
      ? "Keeping the files as read for the plan (under this change's lock) as the checkpoint"
      : `Copying the files of ${work.length} domain(s) before the change (one read)`,
  );
  const files = prefetched
    ? new Map(work.flatMap((i) => [...(i.read ?? [])]))
    : await readPlanFiles(
        ops,
        work.map((i) => i.plan),
      );
  const ready: ReadyItem[] = [];
  const sha = shaMap(files);
  for (const item of work) {
    const domain = item.plan.domain;
    const guards = Object.fromEntries(item.plan.files.map((f) => [f.path, sha.get(f.path) ?? f.beforeSha256]));
    if (item.checkpointId) {
      const side = classifyAgainstPlan(item.plan, sha, item.written);
      if (side === 'foreign') {
        set(domain, 'conflict', item.checkpointId, { message: 'files were changed by someone else since the job wrote them; not touched' });
        continue;
      }
      emit('readback', 'info', `${domain}: files are ${side} the change`, { domain });
      ready.push({ ...item, checkpointId: item.checkpointId, copies: ctx.checkpoints.load(item.checkpointId).files, written: {}, guards });
      continue;
    }
    const copies = copiesFor(item.plan, files);
    if (copies instanceof PanelError) {
      set(domain, 'refused', null, { message: copies.describe(), errorCode: copies.code });
      emit('checkpoint', 'fail', copies.describe(), { domain });
      continue;
    }
    const checkpointId = ctx.checkpoints.save(ctx.server, domain, copies, ctx.reason);
    ready.push({ ...item, checkpointId, copies, written: {}, guards });
  }
  if (ready.length > 0) {
    const list = ready.flatMap((r) => r.copies.map((c) => `${c.path}${c.existed ? '' : ' (did not exist)'}`));
    emit('checkpoint', 'ok', `Checkpoint ${ready.map((r) => r.checkpointId).join(', ')}: ${list.join(', ')}`, {
      checkpointIds: Object.fromEntries(ready.map((r) => [r.plan.domain, r.checkpointId])),
      ...(ready.length === 1 ? { checkpointId: ready[0]?.checkpointId } : {}),
    });
  }
  return ready;
}

/**
 * Puts every checkpointed file back (deleting those that did not exist), then loads them: regenerate
 * where Plesk already included the new file set, config test, reload what was reloaded. Returns the
 * error when the restore itself failed, undefined when the server is back on its old config.
 */
async function restore(
  ops: ServerOps,
  ready: readonly ReadyItem[],
  bring: BringUpState,
  emit: ReturnType<typeof emitterFor>,
  ctx: EngineContext,
): Promise<string | undefined> {
  const copies = ready.flatMap((r) => r.copies);
  const did = { ...bring, regenerated: [...bring.regenerated], reloaded: [...bring.reloaded] };
  try {
    emit('restore', 'start', `Restoring ${copies.length} file(s) from the checkpoint`);
    await ops.putFileStates(copies.map((c) => ({ path: c.path, bytes: c.existed ? c.bytes : undefined })));
    emit('restore', 'ok', `Restored ${copies.map((c) => `${c.path}${c.existed ? '' : ' (removed: it did not exist)'}`).join(', ')}`);
    await bringUp(ops, restoreStepsFor(ready, did), bring, emit, withTimeout(ctx));
    return undefined;
  } catch (err) {
    emit('restore', 'fail', `Restoring the checkpoint failed: ${errorMessage(err)}`);
    return errorMessage(err);
  }
}
