import type { Database, Statement } from 'better-sqlite3';
import type { ServerConfig, ServerEntry, ServerSource } from '../config/types.js';
import { nowIso } from './json.js';

interface ServerRow {
  name: string;
  host: string;
  port: number;
  username: string;
  private_key_path: string;
  known_hosts_path: string | null;
  host_key_fingerprint: string | null;
  socket_io_paths_json: string;
  source: ServerSource;
  created_at: string;
  updated_at: string;
}

export interface StoredServer extends ServerEntry {
  createdAt: string;
  updatedAt: string;
}

function fromRow(row: ServerRow): StoredServer {
  const paths = JSON.parse(row.socket_io_paths_json) as Record<string, string>;
  return {
    name: row.name,
    host: row.host,
    port: row.port,
    username: row.username,
    privateKeyPath: row.private_key_path,
    knownHostsPath: row.known_hosts_path ?? undefined,
    hostKeyFingerprint: row.host_key_fingerprint ?? undefined,
    socketIoPaths: Object.keys(paths).length > 0 ? paths : undefined,
    source: row.source,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The servers table. Validation happens before (config/schema.ts); this only stores and loads. */
export class ServersRepository {
  private readonly selectAll: Statement<[], ServerRow>;
  private readonly selectOne: Statement<[string], ServerRow>;
  private readonly upsertStmt: Statement<Record<string, unknown>>;
  private readonly deleteStmt: Statement<[string]>;

  constructor(db: Database) {
    this.selectAll = db.prepare('SELECT * FROM servers ORDER BY name');
    this.selectOne = db.prepare('SELECT * FROM servers WHERE name = ?');
    this.upsertStmt = db.prepare(`
      INSERT INTO servers (name, host, port, username, private_key_path, known_hosts_path, host_key_fingerprint,
                           socket_io_paths_json, source, created_at, updated_at)
      VALUES (@name, @host, @port, @username, @privateKeyPath, @knownHostsPath, @hostKeyFingerprint,
              @socketIoPaths, @source, @now, @now)
      ON CONFLICT (name) DO UPDATE SET
        host = excluded.host, port = excluded.port, username = excluded.username,
        private_key_path = excluded.private_key_path, known_hosts_path = excluded.known_hosts_path,
        host_key_fingerprint = excluded.host_key_fingerprint, socket_io_paths_json = excluded.socket_io_paths_json,
        source = excluded.source, updated_at = excluded.updated_at`);
    this.deleteStmt = db.prepare('DELETE FROM servers WHERE name = ?');
  }

  list(): StoredServer[] {
    return this.selectAll.all().map(fromRow);
  }

  get(name: string): StoredServer | undefined {
    const row = this.selectOne.get(name);
    return row ? fromRow(row) : undefined;
  }

  upsert(server: ServerConfig, source: ServerSource): StoredServer {
    this.upsertStmt.run({
      name: server.name,
      host: server.host,
      port: server.port,
      username: server.username,
      privateKeyPath: server.privateKeyPath,
      knownHostsPath: server.knownHostsPath ?? null,
      hostKeyFingerprint: server.hostKeyFingerprint ?? null,
      socketIoPaths: JSON.stringify(server.socketIoPaths ?? {}),
      source,
      now: nowIso(),
    });
    return this.get(server.name) as StoredServer;
  }

  /** Returns whether a row was removed. */
  remove(name: string): boolean {
    return this.deleteStmt.run(name).changes > 0;
  }
}
