import { readFiles } from '../ssh/files.js';
import type { SshSession } from '../ssh/session.js';
import type { CheckpointCopy } from './executor.js';
import type { FileKind } from './plan.js';
import type { ChangePlan, FileChange, ReloadImpact } from './plan.js';
import { decodeExact, shaOf } from './remote-files.js';
import { unifiedDiff } from './unified-diff.js';

export function fileKindOf(path: string): FileKind {
  if (path.endsWith('/.htaccess')) return 'htaccess';
  if (path.endsWith('/vhost_ssl.conf')) return 'vhost_ssl';
  if (path.endsWith('/vhost_nginx.conf')) return 'vhost_nginx';
  return 'vhost';
}

/**
 * A plan that puts a domain's files back to a checkpoint: the same plan object as any change (diff,
 * reload need, guard hashes), so a rollback is carried out, checkpointed and journaled like one.
 */
export async function planRestore(
  session: SshSession,
  checkpoint: CheckpointCopy,
  opts: { what: string; reloadImpact?: ReloadImpact | null },
): Promise<ChangePlan> {
  const now = await readFiles(
    session,
    checkpoint.files.map((f) => f.path),
  );
  const files: FileChange[] = [];
  checkpoint.files.forEach((cp, i) => {
    const cur = now[i]!;
    if (shaOf(cur) === cp.sha256) return;
    const before = decodeExact(cur.bytes);
    const after = decodeExact(cp.bytes);
    const kind = fileKindOf(cp.path);
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
  });
  const reloadNeeded = files.some((f) => f.needsReload);
  const nothingToDo = files.length === 0;
  return {
    server: checkpoint.server,
    domain: checkpoint.domain,
    what: opts.what,
    createdAt: new Date().toISOString(),
    settings: [],
    files,
    reloadNeeded,
    regenerateNeeded: files.some((f) => f.needsRegenerate),
    reloadImpact: reloadNeeded ? (opts.reloadImpact ?? null) : null,
    findings: [],
    nothingToDo,
    summary: nothingToDo
      ? `${checkpoint.domain}: the files already match checkpoint ${checkpoint.id}; nothing to restore.`
      : `${checkpoint.domain}: restore ${files.length} file(s) to checkpoint ${checkpoint.id} (${checkpoint.createdAt})` +
        (reloadNeeded ? ', needs a reload' : ', no reload needed'),
  };
}
