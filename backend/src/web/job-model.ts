import type { JobView } from './services.js';
import type { JobScope } from './users.js';

/** Domain states that mean "this domain is done", whatever the outcome (single and bulk jobs). */
const FINISHED_OK = new Set(['verified', 'applied', 'nothing-to-do', 'succeeded', 'skipped', 'unchanged', 'ok', 'done']);
const FINISHED_BAD = new Set([
  'failed',
  'rolled-back',
  'rollback-failed',
  'refused',
  'error',
  'interrupted',
  'cancelled',
  'unreachable',
  'conflict',
]);

export function domainStateClass(state: string): 'ok' | 'fail' | 'running' {
  if (FINISHED_OK.has(state)) return 'ok';
  if (FINISHED_BAD.has(state)) return 'fail';
  return 'running';
}

/** What job.hbs shows before the live events arrive: the record, the domains and their counts. */
export function buildJobModel(scope: JobScope, view: JobView | undefined, basePath: string) {
  const domains = (view?.domains ?? scope.domains.map((domain) => ({ server: '', domain, state: 'queued', message: null }))).map((d) => ({
    ...d,
    stateClass: domainStateClass(d.state),
    href: `${basePath}/domains/${encodeURIComponent(d.domain)}`,
  }));
  const ok = domains.filter((d) => d.stateClass === 'ok').length;
  const failed = domains.filter((d) => d.stateClass === 'fail').length;
  const total = domains.length;
  const ended = view ? !['queued', 'running'].includes(view.status) : false;
  return {
    job: {
      id: scope.id,
      kind: view?.kind ?? scope.kind,
      status: view?.status ?? 'unknown',
      actor: view?.actor ?? null,
      createdAt: view?.createdAt ?? null,
      endedAt: view?.endedAt ?? null,
      ended,
    },
    domains,
    counts: { total, ok, failed, running: total - ok - failed },
    percent: total === 0 ? (ended ? 100 : 0) : Math.round(((ok + failed) / total) * 100),
  };
}

/** The jobs list: newest first, with a one-line outcome per job. */
export function buildJobsListModel(jobs: readonly JobView[], basePath: string) {
  return {
    jobs: jobs.map((job) => {
      const ok = job.domains.filter((d) => domainStateClass(d.state) === 'ok').length;
      const failed = job.domains.filter((d) => domainStateClass(d.state) === 'fail').length;
      const first = job.domains[0]?.domain ?? '';
      return {
        ...job,
        href: `${basePath}/jobs/${encodeURIComponent(job.id)}`,
        target: job.domains.length === 1 ? first : `${job.domains.length} domains`,
        outcome: `${ok} done, ${failed} failed, ${job.domains.length - ok - failed} in progress`,
        statusClass: ['succeeded'].includes(job.status) ? 'ok' : ['running', 'queued'].includes(job.status) ? 'running' : 'fail',
      };
    }),
  };
}
