import { accessSync, constants, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { z } from 'zod';
import { ValidationError } from '../errors.js';
import { configFileSchema, describeIssues, serverSchema, type ConfigFile } from './schema.js';
import type { ServerConfig } from './types.js';

/** The config file (or a server definition) is unusable; `problems` lists every bad field, not just the first. */
export class ConfigError extends ValidationError {
  readonly problems: { field: string; message: string }[];

  constructor(source: string, problems: { field: string; message: string }[], hint?: string) {
    const lines = problems.map((p) => `  ${p.field}: ${p.message}`).join('\n');
    super(`${source} is not valid:\n${lines}`, {
      field: problems[0]?.field,
      hint: hint ?? 'see backend/src/config/README.md for the format',
    });
    this.problems = problems;
  }
}

export interface LoadedConfig extends ConfigFile {
  /** Absolute path of the file, or undefined when no file was given. */
  path: string | undefined;
  servers: ServerConfig[];
}

export const EMPTY_CONFIG: LoadedConfig = {
  path: undefined,
  servers: [],
  ssh: { connectTimeoutMs: 10_000, commandTimeoutMs: 60_000, maxChannelsPerServer: 8 },
};

function resolvePaths(server: ServerConfig, baseDir: string): ServerConfig {
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(baseDir, p));
  return {
    ...server,
    privateKeyPath: abs(server.privateKeyPath),
    knownHostsPath: server.knownHostsPath === undefined ? undefined : abs(server.knownHostsPath),
  };
}

/** Files a server needs must be readable now: finding out at the first connect is too late. */
function fileProblems(server: ServerConfig, field: string): { field: string; message: string }[] {
  const problems: { field: string; message: string }[] = [];
  const check = (key: 'privateKeyPath' | 'knownHostsPath') => {
    const path = server[key];
    if (path === undefined) return;
    try {
      accessSync(path, constants.R_OK);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      problems.push({
        field: `${field}.${key}`,
        message: code === 'ENOENT' ? `file ${path} does not exist` : `cannot read ${path} (${code})`,
      });
    }
  };
  check('privateKeyPath');
  check('knownHostsPath');
  return problems;
}

/**
 * Validates one server definition (from the config file, the CLI, the web form or the demo host).
 * Relative paths are taken relative to `baseDir`.
 */
export function parseServer(input: unknown, source: string, baseDir: string, fieldPrefix = 'server'): ServerConfig {
  const result = serverSchema.safeParse(input);
  if (!result.success) {
    throw new ConfigError(
      source,
      describeIssues(result.error).map((p) => ({ ...p, field: `${fieldPrefix}.${p.field}` })),
    );
  }
  const server = resolvePaths(result.data, baseDir);
  const problems = fileProblems(server, fieldPrefix);
  if (problems.length > 0) throw new ConfigError(source, problems);
  return server;
}

function parseJsonFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new ConfigError(
      `config file ${path}`,
      [{ field: '(file)', message: code === 'ENOENT' ? 'does not exist' : `cannot be read (${code})` }],
      'check PASSENGER_PANEL_CONFIG',
    );
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new ConfigError(`config file ${path}`, [{ field: '(file)', message: `is not valid JSON: ${(err as Error).message}` }]);
  }
}

/** Reads and validates the config file, reporting every bad field with its path (`servers[2].port`). */
export function loadConfigFile(path: string): LoadedConfig {
  const absolute = resolve(path);
  const raw = parseJsonFile(absolute);
  const result = configFileSchema.safeParse(raw);
  if (!result.success) throw new ConfigError(`config file ${absolute}`, describeIssues(result.error as z.ZodError));
  const baseDir = dirname(absolute);
  const servers = result.data.servers.map((s) => resolvePaths(s, baseDir));
  const problems = servers.flatMap((s, i) => fileProblems(s, `servers[${i}]`));
  if (problems.length > 0) throw new ConfigError(`config file ${absolute}`, problems);
  return { ...result.data, path: absolute, servers };
}
