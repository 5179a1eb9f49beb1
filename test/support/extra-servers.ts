// Extra test servers (test/host/extra-server.sh): each an independent Plesk-shaped server in its own
// network and mount namespace, reached over SSH at 10.213.N.2 and over HTTP(S) through 127.213.N.1.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { ServerConfig } from '../../backend/src/config/types.js';
import type { PublicEndpoint } from '../../backend/src/verify/verifier.js';
import { HOST_DIR } from './testhost.js';

const SCRIPT = path.join(HOST_DIR, 'extra-server.sh');

export interface ExtraServer {
  config: ServerConfig;
  endpoint: PublicEndpoint;
}

function run(args: string[], timeoutMs = 180_000): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [SCRIPT, ...args], { timeout: timeoutMs }, (err, stdout, stderr) => {
      if (err) reject(new Error(`extra-server.sh ${args.join(' ')} failed: ${err.message}\n${stderr}`));
      else resolve(stdout + stderr);
    });
  });
}

/** The connection file extra-server.sh writes for a running server. */
export function readExtraServer(name: string): ExtraServer {
  const file = path.join(HOST_DIR, '.state', 'servers', `${name}.json`);
  if (!fs.existsSync(file)) throw new Error(`${file} is missing: start the server with test/host/extra-server.sh start ${name}`);
  const raw = JSON.parse(fs.readFileSync(file, 'utf8')) as ServerConfig & {
    publicEndpoint: { address: string; httpPort: number; httpsPort: number };
  };
  const { publicEndpoint, ...config } = raw;
  return { config, endpoint: { ...publicEndpoint, acceptSelfSignedOnTestHost: true } };
}

/** Starts (or repairs) the server and returns its connection; idempotent and fast when it runs. */
export async function startExtraServer(name: string): Promise<ExtraServer> {
  await run(['start', name]);
  return readExtraServer(name);
}

/** Ends every process of the server by pid and takes its link down: SSH to it fails as unreachable. */
export async function stopExtraServer(name: string): Promise<void> {
  await run(['stop', name], 30_000);
}

/** Puts its demo domains back to their initial files (the host helper's reset inside its namespaces). */
export async function resetExtraServer(name: string): Promise<void> {
  await run(['reset', name]);
}
