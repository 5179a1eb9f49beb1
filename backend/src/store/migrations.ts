import type { Database } from 'better-sqlite3';

/**
 * One schema step. Append new steps with the next id; never edit or reorder a step that has shipped,
 * since databases in the field already recorded it as applied.
 */
export interface Migration {
  id: number;
  name: string;
  up: string | ((db: Database) => void);
}

export const migrations: Migration[] = [
  {
    id: 1,
    name: 'servers, jobs, journal, checkpoints',
    up: `
      -- Servers added at run time (CLI/web); servers from the config file are mirrored here with source 'config'.
      CREATE TABLE servers (
        name TEXT PRIMARY KEY,
        host TEXT NOT NULL,
        port INTEGER NOT NULL DEFAULT 22 CHECK (port BETWEEN 1 AND 65535),
        username TEXT NOT NULL,
        private_key_path TEXT NOT NULL,
        known_hosts_path TEXT,
        host_key_fingerprint TEXT,
        socket_io_paths_json TEXT NOT NULL DEFAULT '{}',
        source TEXT NOT NULL CHECK (source IN ('config', 'store', 'demo')),
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        CHECK (known_hosts_path IS NOT NULL OR host_key_fingerprint IS NOT NULL)
      );

      -- A single or bulk job; its per-domain progress is in job_domains.
      CREATE TABLE jobs (
        id TEXT PRIMARY KEY,
        kind TEXT NOT NULL,
        actor TEXT NOT NULL,
        request_json TEXT NOT NULL,
        plan_json TEXT,
        status TEXT NOT NULL,
        summary_json TEXT,
        created_at TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE INDEX jobs_status ON jobs (status, created_at);

      CREATE TABLE job_domains (
        job_id TEXT NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        server TEXT NOT NULL,
        domain TEXT NOT NULL,
        state TEXT NOT NULL,
        change_id TEXT,
        message TEXT,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (job_id, server, domain)
      );

      -- Exact copies of files before a change touched them (files_json: [{path, existed, bytes/content, sha256, mode}]).
      CREATE TABLE checkpoints (
        id TEXT PRIMARY KEY,
        server TEXT NOT NULL,
        domain TEXT,
        reason TEXT,
        files_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );
      CREATE INDEX checkpoints_domain ON checkpoints (server, domain, created_at);

      -- One change or rollback of one domain (domain NULL for a server-wide change).
      CREATE TABLE changes (
        id TEXT PRIMARY KEY,
        job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        server TEXT NOT NULL,
        domain TEXT,
        actor TEXT NOT NULL,
        kind TEXT NOT NULL,
        request_json TEXT NOT NULL,
        plan_json TEXT,
        diff TEXT,
        verdict TEXT,
        checkpoint_id TEXT REFERENCES checkpoints (id),
        status TEXT NOT NULL,
        created_at TEXT NOT NULL,
        ended_at TEXT
      );
      CREATE INDEX changes_domain ON changes (server, domain, created_at);
      CREATE INDEX changes_job ON changes (job_id);

      -- Every step of a change or a job, in order (id is the order).
      CREATE TABLE events (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        change_id TEXT REFERENCES changes (id) ON DELETE CASCADE,
        job_id TEXT REFERENCES jobs (id) ON DELETE CASCADE,
        at TEXT NOT NULL,
        step TEXT NOT NULL,
        status TEXT NOT NULL,
        server TEXT,
        domain TEXT,
        message TEXT NOT NULL,
        data_json TEXT,
        CHECK (change_id IS NOT NULL OR job_id IS NOT NULL)
      );
      CREATE INDEX events_change ON events (change_id, id);
      CREATE INDEX events_job ON events (job_id, id);
    `,
  },
];
