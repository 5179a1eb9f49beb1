import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.js';
import { startPanel, type PanelLogger, type RunningPanel } from './app.js';
import type { PanelMode } from './auth.js';
import type { PanelServices } from './services.js';
import { readTokenSecret } from './token.js';

/** Options of `passenger-panel serve` (cli/serve.ts reads the flags, resolveServeOptions checks them). */
export interface ServeOptions {
  mode: PanelMode;
  host: string;
  port: number;
  basePath: string;
  /** Plesk mode: the secret file the extension's post-install created. */
  tokenSecretFile?: string;
  /** Standalone mode: file holding an scrypt hash (see hashPassword), for password login beside the login link. */
  passwordHashFile?: string;
}

/** Flag values as the CLI read them (all text, all optional). */
export type RawServeOptions = { [K in keyof ServeOptions]?: string | undefined };

/** Checks serve's flags and fills defaults; refusals name the flag. */
export function resolveServeOptions(raw: RawServeOptions): ServeOptions {
  const mode = raw.mode ?? 'standalone';
  if (mode !== 'standalone' && mode !== 'plesk')
    throw new ValidationError(`--mode must be standalone or plesk, not ${mode}.`, { field: 'mode' });
  const port = raw.port === undefined ? 8737 : Number(raw.port);
  if (!/^\d+$/.test(raw.port ?? '8737') || port > 65535)
    throw new ValidationError(`--port must be a whole number from 0 to 65535, got "${raw.port}".`, { field: 'port' });
  if (mode === 'plesk' && !raw.tokenSecretFile) {
    throw new ValidationError('Plesk mode needs --token-secret-file (the extension creates it at install).', {
      field: 'token-secret-file',
    });
  }
  return {
    mode,
    host: raw.host ?? '127.0.0.1',
    port,
    basePath: raw.basePath ?? '',
    ...(raw.tokenSecretFile ? { tokenSecretFile: raw.tokenSecretFile } : {}),
    ...(raw.passwordHashFile ? { passwordHashFile: raw.passwordHashFile } : {}),
  };
}

/** Starts the panel and prints where it is and how to log in. */
export async function runServe(
  options: ServeOptions,
  services: PanelServices,
  print: (line: string) => void,
  log?: PanelLogger,
): Promise<RunningPanel> {
  const passwordHash = options.passwordHashFile ? readFileSync(options.passwordHashFile, 'utf8').trim() : undefined;
  const panel = await startPanel({
    services,
    mode: options.mode,
    host: options.host,
    port: options.port,
    basePath: options.basePath,
    ...(options.tokenSecretFile ? { tokenSecret: readTokenSecret(options.tokenSecretFile) } : {}),
    ...(passwordHash ? { passwordHash } : {}),
    ...(log ? { log } : {}),
  });
  print(`Passenger Panel is listening on ${panel.url}/`);
  if (panel.loginUrl) {
    print(`Log in as admin with this one-time link (it works once; the next one is printed here when it is used):`);
    print(`  ${panel.loginUrl}`);
    if (passwordHash) print('Password login is enabled too.');
  } else {
    print('Plesk mode: open Passenger Panel from the Plesk admin navigation or a domain page.');
  }
  return panel;
}
