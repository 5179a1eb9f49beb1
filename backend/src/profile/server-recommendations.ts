import type { DirectiveValue } from '../passenger/catalog.js';
import { lookupDirective } from '../passenger/catalog.js';
import type { ServerInventory } from '../plesk/inventory.js';

/** One server-wide setting worth changing for Socket.IO, with what changing it would touch. */
export interface ServerRecommendation {
  key: string;
  name: string;
  current: DirectiveValue | null;
  /** Where the current value comes from: a global config file and line, or Passenger's default. */
  source: string;
  recommended: DirectiveValue;
  reason: string;
}

/** The admin-only server action, as a plan: nothing here is ever written to a domain's files. */
export interface ServerPlan {
  server: string;
  adminOnly: true;
  recommendations: ServerRecommendation[];
  /** What applying it would affect: every app on the server, through one reload. */
  effect: { apps: number; processes: number; sessions: number; summary: string };
  nothingToDo: boolean;
}

/** Below this, processes above min instances die between two bursts of a chat and take their sessions along. */
export const MIN_SAFE_POOL_IDLE_TIME = 300;

/**
 * Server-wide Socket.IO recommendations (pool idle time) and their server-wide effect. Separate from
 * the per-domain profile on purpose: these settings act on every app, so only an admin may apply them,
 * and the plan says how many apps, processes and sessions the required reload would restart.
 */
export function serverRecommendations(inventory: ServerInventory): ServerPlan {
  const recommendations: ServerRecommendation[] = [];
  const spec = lookupDirective('passenger_pool_idle_time')!;
  const setting = inventory.global.find((g) => g.key === spec.key);
  const current = setting ? setting.value : spec.default;
  if (typeof current === 'number' && current > 0 && current < MIN_SAFE_POOL_IDLE_TIME) {
    recommendations.push({
      key: spec.key,
      name: setting?.server === 'nginx' ? spec.nginxName : spec.apacheName,
      current,
      source: setting?.file ? `${setting.file}${setting.line ? `:${setting.line}` : ''}` : 'default',
      recommended: MIN_SAFE_POOL_IDLE_TIME,
      reason:
        `Idle processes above each app's min instances are stopped after ${current} s; every Socket.IO session on them is lost. ` +
        `${MIN_SAFE_POOL_IDLE_TIME} s (Passenger's default) keeps a quiet chat's extra processes alive between bursts.`,
    });
  }
  const withProcesses = inventory.domains.filter((d) => d.processes.length > 0);
  const processes = withProcesses.reduce((n, d) => n + d.processes.length, 0) + inventory.processesUnmatched.length;
  const sessions = [...withProcesses.flatMap((d) => d.processes), ...inventory.processesUnmatched].reduce(
    (n, p) => n + (p.sessions ?? 0),
    0,
  );
  const apps = withProcesses.length + (inventory.processesUnmatched.length > 0 ? 1 : 0);
  return {
    server: inventory.server,
    adminOnly: true,
    recommendations,
    effect: {
      apps,
      processes,
      sessions,
      summary:
        recommendations.length === 0
          ? 'nothing to change server-wide'
          : `acts on all ${inventory.domains.length} domains of ${inventory.server}; the reload it needs restarts ${apps} app(s), ${processes} process(es), ${sessions} open session(s)`,
    },
    nothingToDo: recommendations.length === 0,
  };
}
