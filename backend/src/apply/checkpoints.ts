/**
 * The one owner of checkpoints (the way certbot's reverter owns its own): it takes them (a guarded read
 * that is also the copy), stores and loads them through the store, tells where a domain's files stand
 * against a plan, and turns a checkpoint back into a plan so a restore runs through the same engine
 * (checkpointed, tested, reloaded, journaled) as any change. Recovery of an interrupted change is
 * readback + restorePlans over what the job recorded.
 */
import { PanelError, ValidationError } from '../errors.js';
import type { RemoteFile } from '../ssh/files.js';
import { sha256Hex } from '../ssh/files.js';
import { adminFileKindOf } from '../plesk/paths.js';
import type { ChangePlan, FileChange, ReloadImpact } from './plan.js';
import { decodeExact, FileChangedError } from './remote-files.js';
import { ABSENT, type ServerOps, shaOf } from './server-ops.js';
import { unifiedDiff } from './unified-diff.js';

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

/** How the store keeps a checkpoint's files: text in the encoding that gives back the exact bytes. */
export interface StoredCheckpointFile {
  path: string;
  existed: boolean;
  content: string | null;
  sha256: string | null;
  encoding?: 'utf8' | 'latin1';
  mode?: string;
}

/** The store calls the owner needs (store/journal.ts implements them). */
export interface CheckpointRows {
  saveCheckpoint(cp: { server: string; domain: string; reason?: string; files: StoredCheckpointFile[] }): { id: string };
  getCheckpoint(
    id: string,
  ): { id: string; server: string; domain: string | null; createdAt: string; files: StoredCheckpointFile[] } | undefined;
  listCheckpoints(server: string, domain: string): Array<{ id: string; createdAt: string }>;
}

/** Where a domain's files stand against its plan: untouched, fully written, half, or changed by someone else. */
export type FileSideState = 'before' | 'after' | 'partial' | 'foreign';

/** sha256 of the bytes a plan leaves in a file (ABSENT when the plan removes it). */
export function afterSha(f: FileChange): string {
  return f.existsAfter ? sha256Hex(Buffer.from(f.after, f.encoding)) : ABSENT;
}

/**
 * `written` (what the write reported it left, when known) counts as "after" beside the planned bytes,
 * so a change is recognised as ours even when the bytes that reached the server were not the plan's.
 */
export function classifyAgainstPlan(
  plan: ChangePlan,
  shaByPath: ReadonlyMap<string, string>,
  written: Readonly<Record<string, string>> = {},
): FileSideState {
  let before = 0;
  let after = 0;
  for (const f of plan.files) {
    const now = shaByPath.get(f.path);
    if (now === afterSha(f) || (written[f.path] !== undefined && now === written[f.path])) after += 1;
    else if (now === f.beforeSha256) before += 1;
    else return 'foreign';
  }
  if (after === plan.files.length) return 'after';
  if (before === plan.files.length) return 'before';
  return 'partial';
}

/** Reads every file of many plans in one round trip. */
export async function readPlanFiles(ops: ServerOps, plans: readonly ChangePlan[]): Promise<Map<string, RemoteFile>> {
  const paths = [...new Set(plans.flatMap((p) => p.files.map((f) => f.path)))];
  const read = await ops.readFiles(paths);
  return new Map(read.map((f) => [f.path, f]));
}

export function shaMap(files: ReadonlyMap<string, RemoteFile>): Map<string, string> {
  return new Map([...files].map(([path, f]) => [path, shaOf(f)]));
}

/**
 * The guard and the copy in one: a plan whose files no longer match the hashes it was computed from is
 * refused (someone edited them); otherwise the copies are exactly the bytes that were checked.
 */
export function copiesFor(plan: ChangePlan, files: ReadonlyMap<string, RemoteFile>): CheckpointFileCopy[] | FileChangedError {
  for (const f of plan.files) {
    const now = files.get(f.path);
    const sha = now ? shaOf(now) : 'unread';
    if (sha !== f.beforeSha256) return new FileChangedError(f.path, f.beforeSha256, sha);
  }
  return plan.files.map((f) => {
    const file = files.get(f.path) as RemoteFile;
    return { path: f.path, existed: file.exists, bytes: file.bytes, sha256: shaOf(file), ...(file.mode ? { mode: file.mode } : {}) };
  });
}

/** Saves and loads checkpoints in the store, in the one encoding that gives back the exact bytes. */
export class Checkpoints {
  constructor(private readonly rows: CheckpointRows) {}

  save(server: string, domain: string, files: readonly CheckpointFileCopy[], reason: string): string {
    return this.rows.saveCheckpoint({
      server,
      domain,
      reason,
      files: files.map((f) => {
        const decoded = decodeExact(f.bytes);
        return {
          path: f.path,
          existed: f.existed,
          content: f.existed ? decoded.text : null,
          encoding: decoded.encoding,
          sha256: f.existed ? f.sha256 : null,
          ...(f.mode ? { mode: f.mode } : {}),
        };
      }),
    }).id;
  }

  load(id: string): CheckpointCopy {
    const cp = this.rows.getCheckpoint(id);
    if (!cp)
      throw new PanelError('checkpoint_missing', `Checkpoint ${id.slice(0, 60)} is missing from the store.`, {
        hint: 'restore the database from a backup; the files were not touched',
      });
    return {
      id: cp.id,
      server: cp.server,
      domain: cp.domain ?? '',
      createdAt: cp.createdAt,
      files: cp.files.map((f) => ({
        path: f.path,
        existed: f.existed,
        bytes: f.existed ? Buffer.from(f.content ?? '', f.encoding === 'latin1' ? 'latin1' : 'utf8') : Buffer.alloc(0),
        sha256: f.existed ? (f.sha256 ?? '') : ABSENT,
        ...(f.mode ? { mode: f.mode } : {}),
      })),
    };
  }

  /** The checkpoint to roll a domain back to: the one named, or its newest. */
  forDomain(server: string, domain: string, id?: string): CheckpointCopy {
    const chosen = id ?? this.rows.listCheckpoints(server, domain)[0]?.id;
    if (!chosen)
      throw new ValidationError(`No checkpoint for ${domain} on ${server}.`, {
        field: 'to',
        hint: 'nothing was ever changed here by the panel',
      });
    const cp = this.rows.getCheckpoint(chosen) ? this.load(chosen) : undefined;
    if (!cp || cp.server !== server || cp.domain !== domain) {
      throw new ValidationError(`Checkpoint ${chosen.slice(0, 60)} does not belong to ${domain} on ${server}.`, {
        field: 'to',
        hint: 'see `history <domain>` for its checkpoints',
      });
    }
    return cp;
  }
}

/**
 * Plans that put domains' files back to their checkpoints, from ONE read of the files as they are now:
 * the same plan object as any change (diff, reload need, guard hashes), so a rollback is carried out,
 * checkpointed and journaled like one.
 */
export async function restorePlans(
  ops: ServerOps,
  checkpoints: readonly CheckpointCopy[],
  opts: { what: (cp: CheckpointCopy) => string; reloadImpact?: (domain: string) => ReloadImpact | null },
): Promise<ChangePlan[]> {
  const read = await ops.readFiles([...new Set(checkpoints.flatMap((cp) => cp.files.map((f) => f.path)))]);
  const now = new Map(read.map((f) => [f.path, f]));
  return checkpoints.map((cp) => restorePlanFrom(cp, now, opts.what(cp), opts.reloadImpact?.(cp.domain) ?? null));
}

function restorePlanFrom(
  checkpoint: CheckpointCopy,
  now: ReadonlyMap<string, RemoteFile>,
  what: string,
  reloadImpact: ReloadImpact | null,
): ChangePlan {
  const files: FileChange[] = [];
  for (const cp of checkpoint.files) {
    const cur = now.get(cp.path) as RemoteFile;
    if (shaOf(cur) === cp.sha256) continue;
    const before = decodeExact(cur.bytes);
    const after = decodeExact(cp.bytes);
    const kind = adminFileKindOf(cp.path);
    // Both sides must encode back to their exact bytes; latin1 does that for any byte.
    const encoding = before.encoding === 'utf8' && after.encoding === 'utf8' ? 'utf8' : 'latin1';
    const beforeText = cur.bytes.toString(encoding);
    const afterText = cp.bytes.toString(encoding);
    files.push({
      path: cp.path,
      kind,
      existedBefore: cur.exists,
      existsAfter: cp.existed,
      beforeSha256: shaOf(cur),
      before: beforeText,
      after: afterText,
      encoding,
      diff: unifiedDiff(cp.path, beforeText, afterText, { existedBefore: cur.exists, existsAfter: cp.existed }),
      keys: [],
      needsReload: kind !== 'htaccess',
      needsRegenerate: kind !== 'htaccess' && cur.exists !== cp.existed,
    });
  }
  const reloadNeeded = files.some((f) => f.needsReload);
  const nothingToDo = files.length === 0;
  return {
    server: checkpoint.server,
    domain: checkpoint.domain,
    what,
    createdAt: new Date().toISOString(),
    settings: [],
    files,
    reloadNeeded,
    regenerateNeeded: files.some((f) => f.needsRegenerate),
    reloadImpact: reloadNeeded ? reloadImpact : null,
    findings: [],
    nothingToDo,
    summary: nothingToDo
      ? `${checkpoint.domain}: the files already match checkpoint ${checkpoint.id}; nothing to restore.`
      : `${checkpoint.domain}: restore ${files.length} file(s) to checkpoint ${checkpoint.id} (${checkpoint.createdAt})` +
        (reloadNeeded ? ', needs a reload' : ', no reload needed'),
  };
}
