import { ValidationError } from '../errors.js';
import { AuthError } from './errors.js';
import type { DomainHistoryEntry } from './services.js';
import { isAdmin, type PanelUser } from './users.js';

/** The change a rollback undoes: the newest one that wrote files (it took the checkpoint restored). */
export function changeToUndo(history: readonly DomainHistoryEntry[]): DomainHistoryEntry | undefined {
  return history.find((c) => c.kind !== 'verify' && c.checkpointId !== null);
}

/**
 * Why `user` may not roll back the domain whose journal is `history` (newest first) to its newest
 * checkpoint, or null when they may. Admins may roll back anything; a customer only a change of their
 * own, and only while it is the domain's newest, so they never undo what someone did after them.
 */
export function rollbackRefusal(user: PanelUser, history: readonly DomainHistoryEntry[], newestCheckpoint: string | null): string | null {
  if (isAdmin(user)) return null;
  const target = changeToUndo(history);
  if (!target) return null;
  if (target.actor !== user.name)
    return `The last change of this domain was made by ${target.actor}, not by you; only an administrator can roll it back.`;
  const newest = history.find((c) => c.kind !== 'verify');
  if ((newest && newest.actor !== user.name) || target.checkpointId !== newestCheckpoint)
    return 'This domain was changed after your last change; only an administrator can roll it back now.';
  return null;
}

/** The newest checkpoint, when `user` may roll the domain back to it; throws 403 (not theirs) or 400 (none). */
export function rollbackCheckpointFor(user: PanelUser, history: readonly DomainHistoryEntry[], newestCheckpoint: string | null): string {
  const refusal = rollbackRefusal(user, history, newestCheckpoint);
  if (refusal) throw new AuthError('rollback_forbidden', refusal, { status: 403, hint: 'ask your hosting administrator' });
  if (!newestCheckpoint) throw new ValidationError('The panel has not changed this domain yet; there is nothing to roll back.');
  return newestCheckpoint;
}
