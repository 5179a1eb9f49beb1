// The SQLite store: one database file in the data directory, schema by ordered migrations.
import type { Database } from 'better-sqlite3';
import { JobsRepository } from './jobs.js';
import { JournalRepository } from './journal.js';
import { ServersRepository } from './servers.js';

export * from './db.js';
export * from './ids.js';
export * from './jobs.js';
export * from './journal.js';
export * from './servers.js';

/** Every repository over one database handle. */
export interface Store {
  db: Database;
  servers: ServersRepository;
  journal: JournalRepository;
  jobs: JobsRepository;
}

export function createStore(db: Database): Store {
  return { db, servers: new ServersRepository(db), journal: new JournalRepository(db), jobs: new JobsRepository(db) };
}
