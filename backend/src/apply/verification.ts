import { PanelError, errorMessage } from '../errors.js';
import { type EventSink, stepEvent } from '../events.js';
import type { WebServer } from '../passenger/catalog.js';
import type { DomainInventory } from '../plesk/inventory.js';
import type { PublicEndpoint, VerificationReport, VerifyOptions } from '../verify/verifier.js';
import type { ServerOps } from './server-ops.js';

/** What verification needs to know of a domain; kept in a job's stored plan so a resume needs no new inventory. */
export interface VerifySubject {
  domain: string;
  webServer: WebServer;
  https: boolean;
  appRoot: string;
  socketIoPath: string;
}

export function verifySubjectOf(domain: DomainInventory): VerifySubject {
  return { domain: domain.name, webServer: domain.mode, https: domain.https, appRoot: domain.appRoot, socketIoPath: domain.socketIoPath };
}

/** Bound of one whole verification; its own steps have tighter limits, this catches a hang between them. */
export const VERIFY_DEADLINE_MS = 300_000;

export type VerifyChangeOptions = Omit<VerifyOptions, 'events' | 'scheme'> & { events: EventSink; deadlineMs?: number };

/**
 * The one verifier call of the engine: this app restarted, probed on its public path, watched. A
 * verification that throws or passes its deadline counts as failed (the change is then rolled back):
 * a change nobody could prove is not kept.
 */
export async function verifyChange(
  ops: ServerOps,
  subject: VerifySubject,
  endpoint: PublicEndpoint,
  options: VerifyChangeOptions,
): Promise<VerificationReport> {
  const { deadlineMs = VERIFY_DEADLINE_MS, ...verifyOptions } = options;
  const scheme = subject.https ? 'https' : 'http';
  const startedAt = new Date().toISOString();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new PanelError('verify_timeout', `verification did not finish within ${Math.round(deadlineMs / 1000)} s`)),
      deadlineMs,
    );
  });
  try {
    const target = {
      domain: subject.domain,
      server: ops.name,
      appRoot: subject.appRoot,
      socketIoPath: subject.socketIoPath,
      integration: subject.webServer,
      endpoint,
    };
    return await Promise.race([ops.verify(target, { ...verifyOptions, scheme }), deadline]);
  } catch (err) {
    const summary = `verification did not complete: ${errorMessage(err)}`;
    const event = stepEvent('verify.verdict', 'fail', summary, { domain: subject.domain, server: ops.name });
    options.events(event);
    return {
      domain: subject.domain,
      ok: false,
      verdict: 'failed',
      scheme,
      cookieMode: verifyOptions.cookieMode ?? 'browser',
      startedAt,
      finishedAt: new Date().toISOString(),
      checks: [{ check: 'restart', ok: false, summary }],
      events: [event],
    };
  } finally {
    clearTimeout(timer);
  }
}

/** "failed: restart ok, probe FAILED; 3 of 10 rounds got 400" */
export function checksLine(r: VerificationReport): string {
  const failed = r.checks.filter((c) => !c.ok).map((c) => c.summary);
  return `${r.verdict}: ${r.checks.map((c) => `${c.check} ${c.ok ? 'ok' : 'FAILED'}`).join(', ')}${r.ok ? '' : `; ${failed.join('; ')}`}`;
}

/** "probe: 3 of 10 rounds got 400; watch: ..." or "incomplete". */
export function failedChecks(v: VerificationReport): string {
  return (
    v.checks
      .filter((c) => !c.ok)
      .map((c) => `${c.check}: ${c.summary}`)
      .join('; ') || 'incomplete'
  );
}
