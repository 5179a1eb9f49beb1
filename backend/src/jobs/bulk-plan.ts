/** Planning of a bulk job: which domains of which servers, and the exact plan of each (one read per server). */
import type { ServerConfig } from '../config/types.js';
import { ValidationError, errorMessage } from '../errors.js';
import { stepEvent } from '../events.js';
import { planBatch } from '../apply/plan.js';
import { verifySubjectOf } from '../apply/verification.js';
import { diagnoseServer } from '../diagnose/diagnose.js';
import { socketioSafeProfile, SOCKETIO_SAFE } from '../profile/socketio-safe.js';
import type { BulkPlan, BulkRequest, BulkServerPlan } from './bulk-model.js';
import { mapLimit } from './concurrency.js';
import type { JobBook } from './job-book.js';
import type { ServerPorts } from './ports.js';

export const BULK_DEFAULTS = { serverConcurrency: 4, verifyConcurrency: 6 };

export interface PlanDeps {
  ports: ServerPorts;
  servers: { list(): ServerConfig[]; get(name: string): ServerConfig };
}

export async function planBulk(deps: PlanDeps, book: JobBook, request: BulkRequest): Promise<BulkPlan> {
  const chosen = request.servers?.length ? request.servers.map((n) => deps.servers.get(n)) : deps.servers.list();
  const servers = await mapLimit(chosen, request.serverConcurrency ?? BULK_DEFAULTS.serverConcurrency, (server) =>
    planServer(deps, book, server, request),
  );
  if (request.selection.kind === 'list') {
    const found = new Set(servers.flatMap((s) => [...s.domains.map((d) => d.domain), ...s.skipped.map((k) => k.domain)]));
    const missing = request.selection.domains.filter((d) => !found.has(d.includes(':') ? (d.split(':')[1] as string) : d));
    if (missing.length > 0) book.emit(stepEvent('plan', 'info', `Not found on any selected server: ${missing.join(', ')}`));
  }
  return { servers };
}

async function planServer(deps: PlanDeps, book: JobBook, server: ServerConfig, request: BulkRequest): Promise<BulkServerPlan> {
  const out: BulkServerPlan = { server: server.name, domains: [], skipped: [] };
  const where = { server: server.name };
  try {
    book.emit(stepEvent('inventory', 'start', `Reading ${server.name}`, where));
    const inventory = await deps.ports.inventory(server);
    const diagnosis = diagnoseServer(inventory);
    const verdict = new Map(diagnosis.domains.map((d) => [d.domain, d.verdict]));
    const selected = inventory.domains.filter((d) => selects(request, server.name, d.name, verdict.get(d.name), d.appRoot !== ''));
    book.emit(
      stepEvent(
        'inventory',
        'ok',
        `${server.name}: ${inventory.domains.length} domain(s), ${selected.length} selected (${diagnosis.summary})`,
        where,
      ),
    );
    const inputs = selected.map((domain) => {
      const profile = socketioSafeProfile(domain);
      return {
        domain,
        settings: profile.settings,
        what: `profile ${SOCKETIO_SAFE} (bulk job ${book.jobId})`,
        findings: profile.findings,
        profile,
      };
    });
    const planned = await planBatch(await deps.ports.ops(server), inventory, inputs);
    planned.forEach((p, i) => {
      const input = inputs[i] as (typeof inputs)[number];
      if (p.error) out.skipped.push({ domain: p.domain, state: 'refused', message: p.error.describe() });
      else if (p.plan?.nothingToDo) out.skipped.push({ domain: p.domain, state: 'nothing-to-do', message: input.profile.summary });
      else if (p.plan) out.domains.push({ ...verifySubjectOf(input.domain), plan: p.plan });
    });
    const reloading = [...new Set(out.domains.filter((d) => d.plan.reloadNeeded).map((d) => d.webServer))];
    book.emit(
      stepEvent(
        'plan',
        'ok',
        `${server.name}: ${out.domains.length} to change, ${out.skipped.length} skipped; ` +
          (reloading.length > 0 ? `one ${reloading.join('+')} reload` : 'no reload (.htaccess only)'),
        where,
      ),
    );
  } catch (err) {
    out.error = errorMessage(err);
    book.emit(stepEvent('plan', 'fail', `${server.name}: ${out.error}`, where));
  }
  return out;
}

function selects(request: BulkRequest, server: string, domain: string, verdict: string | undefined, hasApp: boolean): boolean {
  const sel = request.selection;
  if (sel.kind === 'all') return hasApp;
  if (sel.kind === 'filter') return hasApp && verdict === 'at-risk';
  return sel.domains.some((entry) => {
    const [s, d] = entry.includes(':') ? entry.split(':') : [undefined, entry];
    return (s === undefined || s === server) && d?.toLowerCase() === domain;
  });
}

export function validateBulkRequest(r: BulkRequest): void {
  if (r.profile !== SOCKETIO_SAFE)
    throw new ValidationError(`Unknown profile "${String(r.profile).slice(0, 40)}".`, { field: 'profile', hint: `use ${SOCKETIO_SAFE}` });
  for (const [name, v] of [
    ['serverConcurrency', r.serverConcurrency],
    ['verifyConcurrency', r.verifyConcurrency],
  ] as const) {
    if (v !== undefined && (!Number.isInteger(v) || v < 1 || v > 64))
      throw new ValidationError(`${name} must be an integer from 1 to 64, got ${v}.`, { field: name });
  }
  if (r.watchWindowMs !== undefined && (!Number.isInteger(r.watchWindowMs) || r.watchWindowMs < 1_000 || r.watchWindowMs > 600_000)) {
    throw new ValidationError(`the watch window must be 1 to 600 seconds, got ${r.watchWindowMs} ms.`, { field: 'watchWindowMs' });
  }
  if (r.maxFailPerServer !== undefined && (!Number.isInteger(r.maxFailPerServer) || r.maxFailPerServer < 0)) {
    throw new ValidationError(`max-fail must be a whole number (0 = no limit), got ${r.maxFailPerServer}.`, { field: 'maxFailPerServer' });
  }
  if (r.selection.kind === 'list' && r.selection.domains.length === 0)
    throw new ValidationError('The domain list is empty.', { field: 'domains', hint: 'name at least one domain, or use --where at-risk' });
}

export function describeSelection(r: BulkRequest): string {
  const sel =
    r.selection.kind === 'list'
      ? `${r.selection.domains.length} named domain(s)`
      : r.selection.kind === 'filter'
        ? `every domain ${r.selection.filter}`
        : 'every domain with an app';
  return `${sel}${r.servers?.length ? ` on ${r.servers.join(', ')}` : ' on every server'}`;
}
