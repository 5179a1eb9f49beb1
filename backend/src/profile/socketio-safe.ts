import { type DirectiveKey, type DirectiveValue, lookupDirective } from '../passenger/catalog.js';
import { cookieAttributesHaveSecure } from '../passenger/value-check.js';
import { findManagedBlock } from '../passenger/managed-block.js';
import type { DomainInventory } from '../plesk/inventory.js';
import type { Finding } from '../diagnose/findings.js';

/** One setting the profile wants for a domain; `value: null` means "our managed line must go". */
export interface DesiredSetting {
  key: DirectiveKey;
  value: DirectiveValue | null;
  /** Why, in one sentence people can read in a plan. */
  reason: string;
}

export interface ProfileResult {
  profile: 'socketio-safe';
  domain: string;
  settings: DesiredSetting[];
  /** Advice the profile cannot act on per domain (https, server-wide settings). */
  findings: Finding[];
  nothingToDo: boolean;
  summary: string;
}

export const SOCKETIO_SAFE = 'socketio-safe';

/** Effective values for both schemes (https and plain http may differ): the profile must fix both. */
function effectiveValues(domain: DomainInventory, key: string): Array<DirectiveValue | null> {
  const fallback = lookupDirective(key)?.default ?? null;
  return [domain.effective[key], domain.effectiveHttp[key]].map((e) => (e ? e.value : fallback));
}

/** True when every place the value comes from is our own managed block (so removing our line is enough). */
function onlyFromOurBlock(domain: DomainInventory, key: string): boolean {
  return [domain.effective[key], domain.effectiveHttp[key]].every((entry) => {
    if (!entry || entry.source === 'default') return true;
    const file = domain.files.find((f) => f.path === entry.file);
    if (!file || entry.line === undefined) return false;
    const block = findManagedBlock(file.content, file.path);
    return block !== null && entry.line > block.beginLine && entry.line < block.endLine;
  });
}

/**
 * The Socket.IO safe profile for one domain, computed from what its inventory says is in effect.
 * Only settings that differ from the safe value are returned, so an already safe domain gets none.
 * It never proposes an Enterprise-only or a server-only directive: those are not per-domain settings.
 */
export function socketioSafeProfile(domain: DomainInventory): ProfileResult {
  const settings: DesiredSetting[] = [];
  const findings: Finding[] = [];

  if (effectiveValues(domain, 'passenger_sticky_sessions').some((v) => v !== true)) {
    settings.push({
      key: 'passenger_sticky_sessions',
      value: true,
      reason: 'Sticky sessions keep every request of a Socket.IO client on the process that holds its session.',
    });
  }

  if (domain.httpOnly) {
    const attrs = effectiveValues(domain, 'passenger_sticky_sessions_cookie_attributes');
    if (attrs.some((a) => typeof a !== 'string' || cookieAttributesHaveSecure(a))) {
      settings.push({
        key: 'passenger_sticky_sessions_cookie_attributes',
        value: 'SameSite=Lax',
        reason: 'The site is served over plain http only, where browsers drop a Secure cookie, so the sticky cookie must not carry Secure.',
      });
    }
    findings.push({
      id: 'profile-recommend-https',
      severity: 'info',
      title: 'Serve this site over https',
      evidence: `${domain.name} answers on plain http only; its sticky cookie had to go without Secure.`,
      fix: "Issue a certificate for the site (e.g. Let's Encrypt in Plesk), then apply the profile again so the cookie gets Secure back.",
    });
  }

  if (effectiveValues(domain, 'passenger_min_instances').some((v) => typeof v !== 'number' || v < 1)) {
    settings.push({
      key: 'passenger_min_instances',
      value: 1,
      reason: 'With 0, idle cleaning stops the app and every in-memory Socket.IO session with it.',
    });
  }

  if (effectiveValues(domain, 'passenger_max_requests').some((v) => v !== 0)) {
    settings.push({
      key: 'passenger_max_requests',
      value: 0,
      reason: 'Every long-poll counts as a request, so recycling after N requests drops live sessions.',
    });
  }

  const forceKey = 'passenger_force_max_concurrent_requests_per_process';
  if (effectiveValues(domain, forceKey).some((v) => v !== null && v !== -1)) {
    // Our own line can simply go; a value set outside our block is overridden with the default instead.
    const ours = onlyFromOurBlock(domain, forceKey);
    settings.push({
      key: forceKey,
      value: ours ? null : -1,
      reason: 'A fixed concurrency makes Passenger spawn more processes; Node.js apps should leave it unlimited (-1).',
    });
  }

  for (const s of settings) {
    const spec = lookupDirective(s.key);
    if (!spec || spec.enterpriseOnly || spec.serverOnly) {
      throw new Error(`socketio-safe profile must not propose ${s.key} per domain`);
    }
  }

  const nothingToDo = settings.length === 0;
  const summary = nothingToDo
    ? `${domain.name} is already Socket.IO safe: nothing to do.`
    : `${settings.length} setting${settings.length === 1 ? '' : 's'} to change on ${domain.name}: ${settings.map((s) => s.key.replace(/^passenger_/, '')).join(', ')}.`;
  return { profile: 'socketio-safe', domain: domain.name, settings, findings, nothingToDo, summary };
}
