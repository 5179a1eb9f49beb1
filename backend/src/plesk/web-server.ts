import { PanelError } from '../errors.js';
import type { WebServer } from '../passenger/catalog.js';
import type { SshSession } from '../ssh/session.js';

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
export async function regenerateDomain(session: SshSession, domain: string): Promise<void> {
  const res = await session.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', domain], { allowFail: true, timeoutMs: 120_000 });
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
export async function configTest(session: SshSession, servers: readonly WebServer[]): Promise<ConfigTestResult> {
  let ok = true;
  const out: string[] = [];
  for (const server of servers) {
    const argv = server === 'apache' ? ['apache2ctl', '-t'] : ['nginx', '-t', '-q'];
    const res = await session.exec(argv, { allowFail: true, timeoutMs: 60_000 });
    if (res.code !== 0) ok = false;
    out.push(`${argv.join(' ')} -> exit ${res.code}${(res.stderr + res.stdout).trim() ? `: ${(res.stderr + res.stdout).trim()}` : ''}`);
  }
  return { ok, output: out.join('\n') };
}

/** One graceful reload: new config, every Passenger app of that server gets new processes. */
export async function reloadWebServer(session: SshSession, server: WebServer): Promise<void> {
  const argv = server === 'apache' ? ['apache2ctl', 'graceful'] : ['nginx', '-s', 'reload'];
  const res = await session.exec(argv, { allowFail: true, timeoutMs: 60_000 });
  if (res.code !== 0) {
    throw new WebServerError(
      'web_server_reload',
      `\`${argv.join(' ')}\` failed`,
      res.stderr || res.stdout,
      'check that the web server is running; its config test passed, so the error is about the running server',
    );
  }
}
