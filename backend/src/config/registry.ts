import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ValidationError } from '../errors.js';
import type { ServersRepository } from '../store/servers.js';
import { ConfigError, parseServer } from './load.js';
import type { ServerConfig, ServerEntry } from './types.js';

export const DEMO_SERVER_NAME = 'demo';

/**
 * The demo host's connection details, written by test/host/setup.sh. Undefined when the host was never
 * set up; a file that exists but is broken is an error (it would otherwise hide as "no servers").
 */
export function readDemoServer(connectionPath: string): ServerConfig | undefined {
  if (!existsSync(connectionPath)) return undefined;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(connectionPath, 'utf8'));
  } catch (err) {
    throw new ConfigError(
      `demo host connection file ${connectionPath}`,
      [{ field: '(file)', message: `is not valid JSON: ${(err as Error).message}` }],
      'run `bash test/host/setup.sh` again',
    );
  }
  const server = parseServer(
    { name: DEMO_SERVER_NAME, ...(raw as object) },
    `demo host connection file ${connectionPath}`,
    dirname(connectionPath),
  );
  return server;
}

export interface RegistryOptions {
  /** Servers from the config file (already validated). */
  configServers: readonly ServerConfig[];
  /** The demo host, when its connection file exists. */
  demo: ServerConfig | undefined;
  /** Include the demo host even when other servers exist (`serve --demo`). */
  forceDemo?: boolean;
}

/**
 * Every server the panel manages. The store is the one list everybody reads; at start the config file's
 * servers are mirrored into it (the file wins over a stored server of the same name, and servers removed
 * from the file disappear), and the demo host is added when nothing else is configured.
 */
export class ServerRegistry {
  private readonly repo: ServersRepository;
  private readonly configNames: Set<string>;

  constructor(repo: ServersRepository, options: RegistryOptions) {
    this.repo = repo;
    this.configNames = new Set(options.configServers.map((s) => s.name));
    this.sync(options);
  }

  private sync(options: RegistryOptions): void {
    for (const stored of this.repo.list()) {
      const staleConfig = stored.source === 'config' && !this.configNames.has(stored.name);
      if (staleConfig || stored.source === 'demo') this.repo.remove(stored.name);
    }
    for (const server of options.configServers) this.repo.upsert(server, 'config');
    const nothingElse = this.repo.list().length === 0;
    if (options.demo && (nothingElse || options.forceDemo) && !this.repo.get(options.demo.name)) {
      this.repo.upsert(options.demo, 'demo');
    }
  }

  list(): ServerEntry[] {
    return this.repo.list().map(({ createdAt: _c, updatedAt: _u, ...server }) => server);
  }

  find(name: string): ServerEntry | undefined {
    const stored = this.repo.get(name);
    if (!stored) return undefined;
    const { createdAt: _c, updatedAt: _u, ...server } = stored;
    return server;
  }

  /** The named server, or a refusal that lists the known ones. */
  get(name: string): ServerEntry {
    const server = this.find(name);
    if (!server) {
      const known = this.list().map((s) => s.name);
      throw new ValidationError(`unknown server "${name}"`, {
        field: 'server',
        hint: known.length > 0 ? `known servers: ${known.join(', ')}` : noServersHint,
      });
    }
    return server;
  }

  /**
   * The server to use when none was named: the only one there is. With several, the caller must say which.
   */
  defaultServer(): ServerEntry {
    const all = this.list();
    if (all.length === 1) return all[0] as ServerEntry;
    if (all.length === 0) throw new ValidationError('no servers are configured', { field: 'server', hint: noServersHint });
    throw new ValidationError(`${all.length} servers are configured; name one with --server`, {
      field: 'server',
      hint: `known servers: ${all.map((s) => s.name).join(', ')}`,
    });
  }

  /** Adds or replaces a server kept in the store (validated like a config file entry). */
  add(input: unknown): ServerEntry {
    const server = parseServer(input, 'server definition', process.cwd());
    if (this.configNames.has(server.name)) {
      throw new ValidationError(`server "${server.name}" is defined in the config file`, {
        field: 'name',
        hint: 'change it there, or pick another name',
      });
    }
    this.repo.upsert(server, 'store');
    return this.get(server.name);
  }

  /** Removes a stored server; servers from the config file are removed by editing the file. */
  remove(name: string): void {
    const server = this.get(name);
    if (server.source === 'config') {
      throw new ValidationError(`server "${name}" comes from the config file`, { field: 'name', hint: 'remove it from the config file' });
    }
    this.repo.remove(name);
  }
}

const noServersHint =
  'add servers to the config file named by PASSENGER_PANEL_CONFIG (see backend/src/config/README.md), or set up the demo host with `bash test/host/setup.sh`';
