import { PanelError } from '../errors.js';
import type { WebServer } from '../passenger/catalog.js';
import type { RemoteRunner } from '../ssh/runner.js';

/** The web server refused its config, or a reload / Plesk regeneration failed; `output` is its own words. */
export class WebServerError extends PanelError {
  constructor(
    code: string,
    message: string,
    readonly output: string,
    hint: string,
  ) {
    super(code, `${message}${output ? `: ${lastLines(output)}` : ''}`, { hint });
  }
}

function lastLines(text: string): string {
  return text.trim().split('\n').slice(-4).join(' | ');
}

/**
 * `plesk sbin httpdmng --reconfigure-domain D`: regenerates the domain's web-server config so it
 * includes admin files that were created (or drops removed ones). Plesk tests the whole config and
 * reloads the web servers itself, so a successful regeneration counts as the reload.
 */
export async function regenerateDomain(runner: RemoteRunner, domain: string): Promise<void> {
  const res = await runner.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', domain], { allowFail: true, timeoutMs: 120_000 });
  if (res.code !== 0) {
    throw new WebServerError(
      'plesk_reconfigure',
      `plesk could not regenerate the config of ${domain}`,
      res.stderr || res.stdout,
      'read the message above; Plesk keeps its previous generated config when its own test fails',
    );
  }
}

export interface ConfigTestResult {
  ok: boolean;
  /** What each tested server said, for the journal. */
  output: string;
}

/** The web servers' own config test over the whole tree (`apache2ctl -t`, `nginx -t`). */
export async function configTest(runner: RemoteRunner, servers: readonly WebServer[]): Promise<ConfigTestResult> {
  let ok = true;
  const out: string[] = [];
  for (const server of servers) {
    const argv = server === 'apache' ? ['apache2ctl', '-t'] : ['nginx', '-t', '-q'];
    const res = await runner.exec(argv, { allowFail: true, timeoutMs: 60_000 });
    if (res.code !== 0) ok = false;
    out.push(`${argv.join(' ')} -> exit ${res.code}${(res.stderr + res.stdout).trim() ? `: ${(res.stderr + res.stdout).trim()}` : ''}`);
  }
  return { ok, output: out.join('\n') };
}

/** One graceful reload: new config, every Passenger app of that server gets new processes. */
export async function reloadWebServer(runner: RemoteRunner, server: WebServer): Promise<void> {
  const argv = server === 'apache' ? ['apache2ctl', 'graceful'] : ['nginx', '-s', 'reload'];
  const res = await runner.exec(argv, { allowFail: true, timeoutMs: 60_000 });
  if (res.code !== 0) {
    throw new WebServerError(
      'web_server_reload',
      `\`${argv.join(' ')}\` failed`,
      res.stderr || res.stdout,
      'check that the web server is running; its config test passed, so the error is about the running server',
    );
  }
}

/**
 * Regenerates the config of every domain whose set of admin files changed: one domain by name, several
 * through `--reconfigure-all` (one Plesk run instead of one per domain). Each run tests and reloads itself.
 */
export async function regenerateDomains(runner: RemoteRunner, domains: readonly string[]): Promise<void> {
  if (domains.length === 0) return;
  if (domains.length === 1) return regenerateDomain(runner, domains[0] as string);
  const res = await runner.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-all'], { allowFail: true, timeoutMs: 300_000 });
  if (res.code !== 0) {
    throw new WebServerError(
      'plesk_reconfigure',
      'plesk could not regenerate the web-server config',
      res.stderr || res.stdout,
      'read the message above; Plesk keeps its previous generated config when its own test fails',
    );
  }
}

/** The running Passenger instance's id (`Instance:` of passenger-status), or undefined when none answers. */
export async function passengerInstance(runner: RemoteRunner): Promise<string | undefined> {
  const res = await runner.exec(['passenger-status'], { allowFail: true, timeoutMs: 30_000 });
  return res.code === 0 ? /^Instance:\s*(\S+)/m.exec(res.stdout)?.[1] : undefined;
}

/** Whether the web server's main process runs (Debian's Apache + mod_passenger can die on a graceful reload). */
export async function webServerRunning(runner: RemoteRunner, server: WebServer): Promise<boolean> {
  const res = await runner.exec(['pgrep', '-x', server === 'apache' ? 'apache2' : 'nginx'], { allowFail: true, timeoutMs: 15_000 });
  return res.code === 0;
}

/** Starts a web server that is down (its config test passed, so it starts with the config on disk). */
export async function startWebServer(runner: RemoteRunner, server: WebServer): Promise<void> {
  const argv = server === 'apache' ? ['apache2ctl', 'start'] : ['nginx'];
  const res = await runner.exec(argv, { allowFail: true, timeoutMs: 60_000 });
  if (res.code !== 0) {
    throw new WebServerError(
      'web_server_down',
      `${server} stopped after the reload and \`${argv.join(' ')}\` could not start it again`,
      res.stderr || res.stdout,
      'start the web server by hand and read its error log; every site on this server is down until then',
    );
  }
}

/** The Plesk command regenerateDomains runs for these domains, for messages. */
export function regenerateCommand(domains: readonly string[]): string {
  return `plesk sbin httpdmng ${domains.length === 1 ? `--reconfigure-domain ${domains[0]}` : '--reconfigure-all'}`;
}
