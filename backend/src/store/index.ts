// The SQLite store: one database file in the data directory, schema by ordered migrations.
import type { Database } from 'better-sqlite3';
import { JobsRepository } from './jobs.js';
import { ServersRepository } from './servers.js';

export * from './db.js';
export * from './ids.js';
export * from './jobs.js';
export * from './servers.js';

/** Every repository over one database handle (the journal repository, store/journal.ts, is owned by apply/). */
export interface Store {
  db: Database;
  servers: ServersRepository;
  jobs: JobsRepository;
}

export function createStore(db: Database): Store {
  return { db, servers: new ServersRepository(db), jobs: new JobsRepository(db) };
}
