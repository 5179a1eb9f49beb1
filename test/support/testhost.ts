// Helpers for tests that use the real test host (test/host/, set up by setup.sh).
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

/** Same shape as the backend's ServerConfig for the demo server. */
export interface HostConnection {
  name: string;
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  knownHostsPath: string;
  hostKeyFingerprint: string;
}

export interface DemoDomainSpec {
  name: string;
  https: boolean;
  socketIoPath: string;
  expectedProcesses: number;
  demonstrates: string;
}

// Works from the sources and from dist/ alike: walk up to the checkout root.
function findRepoRoot(): string {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  for (;;) {
    if (fs.existsSync(path.join(dir, 'test', 'host', 'demo-domains.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) throw new Error('testhost: cannot find the checkout root (test/host/demo-domains.json)');
    dir = parent;
  }
}

export const REPO_ROOT = findRepoRoot();
export const HOST_DIR = path.join(REPO_ROOT, 'test', 'host');
export const CONNECTION_FILE = path.join(HOST_DIR, '.state', 'connection.json');

export const DEMO = {
  httpBase: 'http://127.0.0.1:8080',
  httpsBase: 'https://127.0.0.1:8443',
  domains: {
    healthy: 'healthy.demo.test',
    multi: 'multi.demo.test',
    idle: 'idle.demo.test',
    custompath: 'custompath.demo.test',
    plainhttp: 'plainhttp.demo.test',
  },
  all: ['healthy.demo.test', 'multi.demo.test', 'idle.demo.test', 'custompath.demo.test', 'plainhttp.demo.test'],
  /** Server-wide PassengerPoolIdleTime written by setup.sh, in seconds. */
  poolIdleTimeSec: 6,
  appRoot: (domain: string): string => `/var/www/vhosts/${domain}/httpdocs`,
  documentRoot: (domain: string): string => `/var/www/vhosts/${domain}/httpdocs/public`,
  confDir: (domain: string): string => `/var/www/vhosts/system/${domain}/conf`,
} as const;

/** The demo domains as declared in test/host/demo-domains.json (the source of truth). */
export function demoDomainSpecs(): DemoDomainSpec[] {
  const raw = JSON.parse(fs.readFileSync(path.join(HOST_DIR, 'demo-domains.json'), 'utf8')) as { domains: DemoDomainSpec[] };
  return raw.domains;
}

export function loadConnection(): HostConnection {
  let text: string;
  try {
    text = fs.readFileSync(CONNECTION_FILE, 'utf8');
  } catch {
    throw new Error(`The test host is not set up: ${CONNECTION_FILE} is missing. Run \`sudo bash test/host/setup.sh\` (as root) first.`);
  }
  const conn = JSON.parse(text) as HostConnection;
  for (const key of ['host', 'port', 'username', 'privateKeyPath', 'knownHostsPath', 'hostKeyFingerprint'] as const) {
    if (!conn[key]) throw new Error(`${CONNECTION_FILE} has no ${key}; re-run test/host/setup.sh`);
  }
  if (!fs.existsSync(conn.privateKeyPath)) {
    throw new Error(`The test host key ${conn.privateKeyPath} is missing; re-run test/host/setup.sh`);
  }
  return conn;
}

/** Runs test/host/reset.sh. Call it in before() and after() of tests that change demo domains. */
export function resetHost(): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile('bash', [path.join(HOST_DIR, 'reset.sh')], { timeout: 180_000, maxBuffer: 4 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (err) {
        reject(new Error(`test/host/reset.sh failed (${err.message.split('\n')[0]}):\n${stdout}\n${stderr}`));
        return;
      }
      resolve(stdout);
    });
  });
}

export interface NginxRequestOptions {
  https?: boolean;
  method?: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
}

export interface NginxResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
}

/**
 * One request to a demo domain through the public nginx ports, the way a
 * browser reaches it (Host header and SNI set; the self-signed cert accepted).
 */
export function fetchThroughNginx(domain: string, urlPath: string, opts: NginxRequestOptions = {}): Promise<NginxResponse> {
  const secure = opts.https ?? false;
  const mod = secure ? https : http;
  const timeoutMs = opts.timeoutMs ?? 10_000;
  return new Promise((resolve, reject) => {
    const headers: Record<string, string> = { host: domain, ...(opts.headers ?? {}) };
    if (opts.body !== undefined) headers['content-length'] = String(Buffer.byteLength(opts.body));
    const req = mod.request(
      {
        host: '127.0.0.1',
        port: secure ? 8443 : 8080,
        method: opts.method ?? 'GET',
        path: urlPath,
        headers,
        servername: domain,
        rejectUnauthorized: false,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        res.on('error', reject);
      },
    );
    req.setTimeout(timeoutMs, () =>
      req.destroy(new Error(`${secure ? 'https' : 'http'} ${domain}${urlPath} timed out after ${timeoutMs} ms`)),
    );
    req.on('error', reject);
    if (opts.body !== undefined) req.write(opts.body);
    req.end();
  });
}

export interface WhoAmI {
  pid: number;
  host: string;
  appRoot: string;
  socketPath: string;
  startedAt: string;
  node: string;
}

/** Asks a demo app (through nginx) which process answered. */
export async function whoami(domain: string, opts: { https?: boolean } = {}): Promise<WhoAmI> {
  const res = await fetchThroughNginx(domain, '/whoami', opts);
  if (res.status !== 200) throw new Error(`GET /whoami on ${domain} answered ${res.status}: ${res.body.slice(0, 200)}`);
  return JSON.parse(res.body) as WhoAmI;
}
