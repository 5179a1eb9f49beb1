import type { DomainOverview, ServerOverview } from './services.js';
import { canSeeDomain, isAdmin, type PanelUser } from './users.js';

/** Query string of the overview page; unknown values fall back to defaults instead of erroring. */
export interface OverviewQuery {
  q?: string;
  verdict?: string;
  server?: string;
  sort?: string;
}

export interface OverviewRow extends DomainOverview {
  server: string;
  verdictLabel: string;
  href: string;
}

export interface OverviewModel {
  title: string;
  connected: boolean;
  canBulk: boolean;
  canRefresh: boolean;
  readAt: string | null;
  rows: OverviewRow[];
  total: number;
  counts: { safe: number; atRisk: number; broken: number; unknown: number };
  servers: { name: string; selected: boolean; error?: string }[];
  verdicts: { value: string; label: string; selected: boolean }[];
  sorts: { value: string; label: string; selected: boolean }[];
  query: { q: string; verdict: string; server: string; sort: string };
}

const VERDICT_LABELS: Record<DomainOverview['verdict'], string> = {
  safe: 'Safe',
  'at-risk': 'At risk',
  broken: 'Broken',
  unknown: 'Unknown',
};
const VERDICT_ORDER: Record<DomainOverview['verdict'], number> = { broken: 0, 'at-risk': 1, unknown: 2, safe: 3 };
const SORTS = { verdict: 'Worst first', domain: 'Domain', server: 'Server', processes: 'Processes' } as const;
type SortKey = keyof typeof SORTS;

/**
 * Turns the inventory into what overview.hbs shows for this user: only the domains they may see,
 * filtered and sorted by the query. `servers` is null while no inventory service is wired in.
 */
export function buildOverviewModel(
  user: PanelUser,
  servers: ServerOverview[] | null,
  query: OverviewQuery,
  basePath: string,
): OverviewModel {
  const q = (query.q ?? '').trim().toLowerCase().slice(0, 200);
  const verdict = query.verdict && query.verdict in VERDICT_LABELS ? query.verdict : '';
  const server = query.server ?? '';
  const sort: SortKey = query.sort && query.sort in SORTS ? (query.sort as SortKey) : 'verdict';

  const visible: OverviewRow[] = [];
  for (const entry of servers ?? []) {
    for (const domain of entry.domains) {
      if (!canSeeDomain(user, domain.name, entry.server)) continue;
      visible.push({
        ...domain,
        server: entry.server,
        verdictLabel: VERDICT_LABELS[domain.verdict],
        href: `${basePath}/domains/${encodeURIComponent(domain.name)}`,
      });
    }
  }
  const rows = visible
    .filter(
      (row) =>
        (!q || row.name.includes(q) || (row.mainFinding ?? '').toLowerCase().includes(q)) &&
        (!verdict || row.verdict === verdict) &&
        (!server || row.server === server),
    )
    .sort(compareBy(sort));

  const admin = isAdmin(user);
  const serverNames = admin ? (servers ?? []).map((s) => s.server) : [...new Set(visible.map((r) => r.server))];
  const readTimes = (servers ?? [])
    .map((s) => s.readAt)
    .filter((t): t is string => t !== null)
    .sort();
  return {
    title: admin ? 'All Node.js domains' : 'Your Node.js domains',
    connected: servers !== null,
    canBulk: admin,
    canRefresh: admin,
    readAt: readTimes[0] ?? null,
    rows,
    total: visible.length,
    counts: {
      safe: visible.filter((r) => r.verdict === 'safe').length,
      atRisk: visible.filter((r) => r.verdict === 'at-risk').length,
      broken: visible.filter((r) => r.verdict === 'broken').length,
      unknown: visible.filter((r) => r.verdict === 'unknown').length,
    },
    servers: serverNames.map((name) => {
      const error = admin ? (servers ?? []).find((s) => s.server === name)?.error : undefined;
      return { name, selected: name === server, ...(error ? { error } : {}) };
    }),
    verdicts: Object.entries(VERDICT_LABELS).map(([value, label]) => ({ value, label, selected: value === verdict })),
    sorts: Object.entries(SORTS).map(([value, label]) => ({ value, label, selected: value === sort })),
    query: { q, verdict, server, sort },
  };
}

function compareBy(sort: SortKey): (a: OverviewRow, b: OverviewRow) => number {
  const byName = (a: OverviewRow, b: OverviewRow): number => a.name.localeCompare(b.name);
  switch (sort) {
    case 'domain':
      return byName;
    case 'server':
      return (a, b) => a.server.localeCompare(b.server) || byName(a, b);
    case 'processes':
      return (a, b) => b.processCount - a.processCount || byName(a, b);
    case 'verdict':
      return (a, b) => VERDICT_ORDER[a.verdict] - VERDICT_ORDER[b.verdict] || byName(a, b);
  }
}
