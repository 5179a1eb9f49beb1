// Waits until every demo domain answers GET /whoami through nginx (http, and
// https where it has https) and Passenger runs the expected number of
// processes for it. Exits 1 with the last failure per domain after the timeout.
// Usage: node wait-ready.mjs <demo-domains.json> [timeoutSeconds]
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';

const [specFile, timeoutArg] = process.argv.slice(2);
const spec = JSON.parse(fs.readFileSync(specFile, 'utf8'));
const started = Date.now();
const deadline = started + Number(timeoutArg ?? 30) * 1000;
let slowReported = false;
let lastStatusAt = 0;

function get(domain, secure) {
  const mod = secure ? https : http;
  return new Promise((resolve) => {
    const req = mod.request(
      {
        host: '127.0.0.1',
        port: secure ? 8443 : 8080,
        path: '/whoami',
        headers: { host: domain },
        servername: domain,
        rejectUnauthorized: false,
        timeout: 5000,
        agent: false,
      },
      (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (c) => (body += c));
        res.on('end', () =>
          resolve(res.statusCode === 200 && body.includes('"pid"') ? null : `HTTP ${res.statusCode}: ${body.slice(0, 200)}`),
        );
      },
    );
    req.on('timeout', () => req.destroy(new Error('timeout after 5 s')));
    req.on('error', (err) => resolve(err.message));
    req.end();
  });
}

function processCounts() {
  return new Promise((resolve) => {
    execFile('passenger-status', ['--show=xml'], { timeout: 10_000, encoding: 'latin1' }, (err, stdout) => {
      const counts = new Map();
      if (err) return resolve({ counts, error: String(err.message).split('\n')[0] });
      for (const group of stdout.split('<group>').slice(1)) {
        const root = /<app_root>([^<]*)<\/app_root>/.exec(group)?.[1];
        if (!root) continue;
        const pids = group.match(/<pid>\d+<\/pid>/g) ?? [];
        counts.set(root, (counts.get(root) ?? 0) + pids.length);
      }
      resolve({ counts, error: null });
    });
  });
}

const problems = new Map(spec.domains.map((d) => [d.name, 'not checked yet']));
for (;;) {
  // All domains at once: Passenger spawns their apps in parallel.
  await Promise.all(
    spec.domains
      .filter((d) => problems.get(d.name) !== null)
      .map(async (d) => {
        const [plain, secure] = await Promise.all([get(d.name, false), d.https ? get(d.name, true) : null]);
        const errs = [];
        if (plain) errs.push(`http: ${plain}`);
        if (secure) errs.push(`https: ${secure}`);
        problems.set(d.name, errs.length ? errs.join('; ') : 'processes');
      }),
  );
  const pending = [...problems].filter(([, p]) => p === 'processes').map(([n]) => n);
  // passenger-status is a Ruby program costing ~0.3 s of CPU: ask it at most twice a second.
  if (pending.length && Date.now() - lastStatusAt >= 500) {
    lastStatusAt = Date.now();
    const { counts, error } = await processCounts();
    for (const name of pending) {
      const d = spec.domains.find((x) => x.name === name);
      const have = counts.get(`/var/www/vhosts/${name}/httpdocs`) ?? 0;
      problems.set(
        name,
        have >= d.expectedProcesses ? null : `passenger runs ${have} of ${d.expectedProcesses} processes${error ? ` (${error})` : ''}`,
      );
    }
  }
  const left = [...problems].filter(([, p]) => p !== null);
  if (left.length === 0) process.exit(0);
  if (!slowReported && Date.now() - started > 5000) {
    slowReported = true;
    for (const [name, p] of left) console.error(`  still waiting after 5 s: ${name}: ${p}`);
  }
  if (Date.now() > deadline) {
    for (const [name, p] of left) console.error(`not ready: ${name}: ${p}`);
    process.exit(1);
  }
  await new Promise((r) => setTimeout(r, 150));
}
