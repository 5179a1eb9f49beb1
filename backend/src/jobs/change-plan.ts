/** Planning one domain's change request: the profile or plain edits, from one read of its files. */
import type { ServerConfig } from '../config/types.js';
import { ValidationError } from '../errors.js';
import { ignoreEvents, stepEvent } from '../events.js';
import { type ChangePlan, findDomain, planChangeRead } from '../apply/plan.js';
import type { ServerInventory } from '../plesk/inventory.js';
import { socketioSafeProfile, SOCKETIO_SAFE } from '../profile/socketio-safe.js';
import type { RemoteFile } from '../ssh/files.js';
import type { ChangeOptions, ChangeRequest, ChangeResult } from './change-types.js';
import type { ServerPorts } from './ports.js';

export interface PlannedChange {
  inventory: ServerInventory;
  plan: ChangePlan;
  /** The files as read for the plan (the checkpoint when the read happened under the domain's lock). */
  read: Map<string, RemoteFile>;
}

/** The plan for a request and the files it was made from; throws ValidationError on bad input. */
export async function planRequest(
  ports: ServerPorts,
  server: ServerConfig,
  domainName: string,
  request: ChangeRequest,
  inventory?: ServerInventory,
): Promise<{ plan: ChangePlan; read: Map<string, RemoteFile> }> {
  const inv = inventory ?? (await ports.inventory(server));
  const domain = findDomain(inv, domainName);
  const ops = await ports.ops(server);
  if (request.kind === 'profile') {
    if (request.profile !== SOCKETIO_SAFE)
      throw new ValidationError(`Unknown profile "${String(request.profile).slice(0, 40)}".`, {
        field: 'profile',
        hint: `use ${SOCKETIO_SAFE}`,
      });
    const profile = socketioSafeProfile(domain);
    const planned = await planChangeRead(ops, inv, domain.name, profile.settings, {
      what: `profile ${SOCKETIO_SAFE}`,
      findings: profile.findings,
    });
    if (profile.nothingToDo && planned.plan.nothingToDo) planned.plan.summary = profile.summary;
    return planned;
  }
  if (request.settings.length === 0) throw new ValidationError('Nothing to set.', { hint: 'give at least one KEY=VALUE' });
  return planChangeRead(ops, inv, domain.name, request.settings, {
    what: `set ${request.settings.map((s) => `${s.key}=${s.value === null ? '(unset)' : String(s.value)}`).join(' ')}`,
  });
}

/**
 * The plan, or the refusal (bad input) and "nothing to do" as a finished result; nothing is journaled
 * for those, so their plan event goes to the caller only.
 */
export async function planOrRefuse(
  ports: ServerPorts,
  server: ServerConfig,
  domainName: string,
  request: ChangeRequest,
  opts: ChangeOptions,
): Promise<ChangeResult | PlannedChange> {
  const events = opts.events ?? ignoreEvents;
  try {
    const inventory = await ports.inventory(server);
    const { plan, read } = await planRequest(ports, server, domainName, request, inventory);
    if (opts.dryRun || plan.nothingToDo) {
      const data = { reloadImpact: plan.reloadImpact };
      events(stepEvent('plan', 'info', plan.summary, { domain: plan.domain, server: server.name, data }));
      if (plan.nothingToDo) return { status: 'nothing-to-do', message: plan.summary, plan };
    }
    return { inventory, plan, read };
  } catch (err) {
    if (err instanceof ValidationError) {
      events(stepEvent('plan', 'fail', `Refused: ${err.describe()}`, { domain: domainName, server: server.name }));
      return { status: 'refused', message: err.describe() };
    }
    throw err;
  }
}
