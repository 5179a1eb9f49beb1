import type { LockRows } from '../apply/domain-lock.js';

/** Whether a process with this pid exists on this machine (EPERM: it exists but is not ours to signal). */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Lock rows that free a domain whose holder was a process on this machine that no longer exists
 * (`pid N` owners, as DomainLocks writes them). A job killed mid-run would otherwise keep its domains
 * locked for the whole lease, and resuming it right away would be refused.
 */
export class DeadHolderLockRows implements LockRows {
  constructor(private readonly rows: LockRows) {}

  tryAcquireLock(key: string, owner: string, leaseMs: number): { acquired: true } | { acquired: false; owner: string } {
    const first = this.rows.tryAcquireLock(key, owner, leaseMs);
    if (first.acquired) return first;
    const pid = /^pid (\d+)$/.exec(first.owner)?.[1];
    if (pid === undefined || Number(pid) === process.pid || pidAlive(Number(pid))) return first;
    this.rows.releaseLock(key, first.owner);
    return this.rows.tryAcquireLock(key, owner, leaseMs);
  }

  releaseLock(key: string, owner: string): void {
    this.rows.releaseLock(key, owner);
  }
}
