import { chmodSync, closeSync, existsSync, mkdirSync, openSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3, { type Database } from 'better-sqlite3';
import { PanelError } from '../errors.js';
import { migrations as allMigrations, type Migration } from './migrations.js';

export type { Database } from 'better-sqlite3';

export class StoreError extends PanelError {
  constructor(message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('store', message, options);
  }
}

export const DATABASE_FILE = 'passenger-panel.sqlite';

/**
 * Opens (creating if needed) the SQLite store and brings its schema up to date.
 * `path` may be ':memory:' for tests.
 */
export function openDatabase(path: string, migrations: readonly Migration[] = allMigrations): Database {
  if (path !== ':memory:') preparePrivateFiles(path);
  let db: Database;
  try {
    db = new BetterSqlite3(path);
  } catch (err) {
    throw new StoreError(`cannot open the database ${path}: ${(err as Error).message}`, {
      cause: err,
      hint: 'check PASSENGER_PANEL_DATA points to a writable directory',
    });
  }
  // WAL lets the web server read while a job writes; busy_timeout rides out short write overlaps.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
  db.pragma('busy_timeout = 5000');
  // SQLite gives -wal/-shm the database file's mode; tighten them anyway in case an older version made them.
  if (path !== ':memory:') for (const suffix of SIDE_FILES) tighten(`${path}${suffix}`, 0o600);
  try {
    migrate(db, migrations);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

const SIDE_FILES = ['-wal', '-shm', '-journal'];

function tighten(file: string, mode: number): void {
  if (existsSync(file) && (statSync(file).mode & 0o777) !== mode) chmodSync(file, mode);
}

/**
 * The store holds every domain's config (checkpoints): only its owner may read it, whatever the umask.
 * The folder becomes 0700 and the files 0600. A shared folder (world-writable, e.g. /tmp itself) is
 * refused rather than narrowed, since narrowing it would break everyone else using it.
 */
function preparePrivateFiles(path: string): void {
  const dir = dirname(path);
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const dirMode = statSync(dir).mode;
  if (dirMode & 0o002) {
    throw new StoreError(`the data directory ${dir} is writable by every user`, {
      hint: 'point PASSENGER_PANEL_DATA at a directory of its own (it is created with mode 0700)',
    });
  }
  tighten(dir, 0o700);
  closeSync(openSync(path, 'a', 0o600));
  tighten(path, 0o600);
  for (const suffix of SIDE_FILES) tighten(`${path}${suffix}`, 0o600);
}

/** Applies the pending migrations in order, each in its own transaction. Returns the ids it applied. */
export function migrate(db: Database, migrations: readonly Migration[]): number[] {
  migrations.forEach((m, i) => {
    const previous = migrations[i - 1];
    if (!Number.isInteger(m.id) || m.id < 1 || (previous && m.id <= previous.id)) {
      throw new StoreError(`migration list is out of order at id ${m.id} ("${m.name}")`, {
        hint: 'migration ids must be unique and increasing; append new ones at the end',
      });
    }
  });
  db.exec(`CREATE TABLE IF NOT EXISTS migrations (id INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`);
  const applied = new Set((db.prepare('SELECT id FROM migrations').all() as { id: number }[]).map((r) => r.id));
  const known = new Set(migrations.map((m) => m.id));
  const unknown = [...applied].filter((id) => !known.has(id));
  if (unknown.length > 0) {
    throw new StoreError(`the database has migrations this version does not know (${unknown.join(', ')})`, {
      hint: 'it was written by a newer Passenger Panel; upgrade, or use another PASSENGER_PANEL_DATA',
    });
  }
  const record = db.prepare('INSERT INTO migrations (id, name, applied_at) VALUES (?, ?, ?)');
  const done: number[] = [];
  for (const m of migrations) {
    if (applied.has(m.id)) continue;
    db.transaction(() => {
      if (typeof m.up === 'string') db.exec(m.up);
      else m.up(db);
      record.run(m.id, m.name, new Date().toISOString());
    })();
    done.push(m.id);
  }
  return done;
}
