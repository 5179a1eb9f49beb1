import { readFileSync } from 'node:fs';
import { ValidationError } from '../errors.js';
import { startPanel, type PanelLogger, type RunningPanel } from './app.js';
import type { PanelMode } from './auth.js';
import type { PanelServices } from './services.js';
import { readTokenSecret } from './token.js';

/** Options of `passenger-panel serve`; the CLI command file only parses argv into this and calls runServe. */
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

export const SERVE_USAGE = `passenger-panel serve [--mode standalone|plesk] [--host 127.0.0.1] [--port 8737]
    [--base-path /prefix] [--token-secret-file FILE] [--password-hash-file FILE]`;

/** Parses serve's flags; anything unknown or malformed is refused with the usage line. */
export function parseServeArgs(argv: readonly string[]): ServeOptions {
  const options: ServeOptions = { mode: 'standalone', host: '127.0.0.1', port: 8737, basePath: '' };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i]!;
    const value = argv[i + 1];
    const need = (): string => {
      if (value === undefined || value.startsWith('--')) throw new ValidationError(`${flag} needs a value.`, { hint: SERVE_USAGE, field: flag });
      i += 1;
      return value;
    };
    switch (flag) {
      case '--mode': {
        const mode = need();
        if (mode !== 'standalone' && mode !== 'plesk') throw new ValidationError(`--mode must be standalone or plesk, not ${mode}.`, { field: flag });
        options.mode = mode;
        break;
      }
      case '--host':
        options.host = need();
        break;
      case '--port': {
        const port = Number(need());
        if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ValidationError('--port must be 0..65535.', { field: flag });
        options.port = port;
        break;
      }
      case '--base-path':
        options.basePath = need();
        break;
      case '--token-secret-file':
        options.tokenSecretFile = need();
        break;
      case '--password-hash-file':
        options.passwordHashFile = need();
        break;
      default:
        throw new ValidationError(`Unknown option ${flag}.`, { hint: SERVE_USAGE, field: flag });
    }
  }
  if (options.mode === 'plesk' && !options.tokenSecretFile) {
    throw new ValidationError('Plesk mode needs --token-secret-file (the extension creates it at install).', { field: '--token-secret-file' });
  }
  return options;
}

/** Starts the panel and prints where it is and how to log in. */
export async function runServe(options: ServeOptions, services: PanelServices, print: (line: string) => void, log?: PanelLogger): Promise<RunningPanel> {
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
