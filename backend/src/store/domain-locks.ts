import type { Database } from 'better-sqlite3';
import { nowIso } from './json.js';

/**
 * One row per locked server/domain, so two panel processes sharing the store (web and CLI) never
 * run changes on the same domain at once. A row older than its lease is taken over: the process that
 * wrote it died without releasing it.
 */
export class DomainLockRows {
  constructor(private readonly db: Database) {
    // Kept out of the shared migration list: the table is private to this lock and safe to create on use.
    db.exec(`CREATE TABLE IF NOT EXISTS domain_locks (
      lock_key TEXT PRIMARY KEY,
      owner TEXT NOT NULL,
      acquired_at TEXT NOT NULL,
      expires_at INTEGER NOT NULL
    )`);
  }

  tryAcquireLock(key: string, owner: string, leaseMs: number): { acquired: true } | { acquired: false; owner: string } {
    return this.db
      .transaction(() => {
        const now = Date.now();
        const row = this.db.prepare('SELECT owner, expires_at FROM domain_locks WHERE lock_key = ?').get(key) as
          | { owner: string; expires_at: number }
          | undefined;
        if (row && row.expires_at > now) return { acquired: false as const, owner: row.owner };
        this.db
          .prepare(
            `INSERT INTO domain_locks (lock_key, owner, acquired_at, expires_at) VALUES (?, ?, ?, ?)
           ON CONFLICT (lock_key) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at, expires_at = excluded.expires_at`,
          )
          .run(key, owner, nowIso(), now + leaseMs);
        return { acquired: true as const };
      })
      .immediate();
  }

  releaseLock(key: string, owner: string): void {
    this.db.prepare('DELETE FROM domain_locks WHERE lock_key = ? AND owner = ?').run(key, owner);
  }
}
