/**
 * `bulk`, `jobs`, `job <id>`, `job resume <id>`, `job rollback <id>`: bulk jobs from the command line.
 * Progress is a bar on a terminal (one line per domain state otherwise); the end is a summary table.
 * Exit codes: 0 every domain verified (or nothing to do); 1 some domains failed and were rolled back;
 * 3 a rollback failed or a domain was left in conflict; 4 a server could not be reached.
 */
import type { Writable } from 'node:stream';
import type { JobRecord } from '../store/jobs.js';
import { type BulkRequest, CHANGE_JOB_KINDS } from '../jobs/bulk-model.js';
import { describeCounts } from '../jobs/bulk-runner.js';
import { bulkSummary } from '../jobs/stored.js';
import type { JobEvent } from '../jobs/event-bus.js';
import { booleanOption, domainArgument, integerOption, requirePositionals, stringListOption, stringOption } from './args.js';
import type { Command, CommandContext } from './command.js';
import { ExitCode, UsageError } from './exit-codes.js';

const DONE = new Set(['verified', 'applied', 'nothing-to-do', 'refused', 'rolled-back', 'rollback-failed', 'cancelled', 'conflict']);

/** Live progress from the job's events: a redrawn bar on a TTY, plain lines elsewhere. */
export class ProgressView {
  private readonly states = new Map<string, string>();
  private lastBar = '';

  constructor(
    private readonly stream: Writable & { isTTY?: boolean },
    private readonly json: boolean,
  ) {}

  onEvent(e: JobEvent): void {
    if (e.step === 'domain' && e.domain) {
      const state = (e.data as { state?: string } | undefined)?.state ?? '';
      this.states.set(`${e.server}/${e.domain}`, state);
      if (this.stream.isTTY) this.drawBar();
      else if (!this.json && DONE.has(state)) this.line(`${e.at.slice(11, 19)} ${this.bar()}  ${e.server}/${e.domain} ${state}`);
      return;
    }
    if (['config-test', 'write', 'rollback', 'server', 'plan', 'job', 'batch', 'readback'].includes(e.step) && e.status !== 'start') {
      this.line(`${e.at.slice(11, 19)} ${e.status === 'fail' ? '!!' : e.status === 'ok' ? 'ok' : '--'}  ${e.message}`);
    }
  }

  finish(): void {
    if (this.stream.isTTY && this.lastBar) this.stream.write('\n');
  }

  private bar(): string {
    const total = this.states.size;
    const done = [...this.states.values()].filter((s) => DONE.has(s)).length;
    const width = 30;
    const filled = total === 0 ? 0 : Math.round((done / total) * width);
    return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total}`;
  }

  private drawBar(): void {
    const counts: Record<string, number> = {};
    for (const s of this.states.values()) counts[s] = (counts[s] ?? 0) + 1;
    const text = `${this.bar()} ${describeCounts(counts)}`.slice(0, 120);
    this.stream.write(`\r${text.padEnd(this.lastBar.length)}`);
    this.lastBar = text;
  }

  private line(text: string): void {
    if (this.stream.isTTY && this.lastBar) this.stream.write('\r\x1b[K');
    this.stream.write(`${text}\n`);
    if (this.stream.isTTY && this.lastBar) this.drawBar();
  }
}

function exitFor(job: JobRecord): number {
  const counts = bulkSummary(job)?.counts ?? {};
  if ((counts['rollback-failed'] ?? 0) > 0 || (counts.conflict ?? 0) > 0) return ExitCode.serverError;
  const servers = bulkSummary(job)?.servers ?? [];
  if (servers.some((s) => s.error && /unreachable|connect|ECONN|EHOSTUNREACH|Invalid argument|timed out/i.test(s.error)))
    return ExitCode.unreachable;
  if (job.status === 'succeeded' || job.status === 'cancelled') return ExitCode.ok;
  return ExitCode.verificationFailed;
}

async function followJob(ctx: CommandContext, work: (onCreated: (id: string) => void) => Promise<JobRecord>): Promise<number> {
  const { runner, events } = await ctx.services();
  const view = new ProgressView(process.stderr, ctx.out.json);
  let unsubscribe: (() => void) | undefined;
  const onCreated = (id: string) => {
    ctx.out.note(`job ${id}`);
    unsubscribe = events.subscribe(id, (e) => view.onEvent(e));
  };
  let job: JobRecord;
  try {
    job = await work(onCreated);
  } finally {
    unsubscribe?.();
    view.finish();
  }
  printJob(ctx, job, runner.domainRows(job.id));
  return exitFor(job);
}

function printJob(
  ctx: CommandContext,
  job: JobRecord,
  rows: Array<{ server: string; domain: string; state: string; message?: string | undefined; live?: string }>,
): void {
  const summary = bulkSummary(job);
  if (ctx.out.json) {
    ctx.out.data({
      id: job.id,
      status: job.status,
      createdAt: job.createdAt,
      endedAt: job.endedAt ?? null,
      request: job.request,
      summary: job.summary ?? null,
      domains: rows,
    });
    return;
  }
  ctx.out.text(
    `Job ${job.id}: ${job.status}${summary?.dryRun ? ' (dry run: nothing written)' : ''}${summary?.wallMs !== undefined ? ` in ${(summary.wallMs / 1000).toFixed(1)} s` : ''}`,
  );
  if (rows.length > 0) {
    ctx.out.table(
      [
        { header: 'SERVER', value: (r) => r.server },
        { header: 'DOMAIN', value: (r) => r.domain, minWidth: 16 },
        { header: 'STATE', value: (r) => r.state, minWidth: 12 },
        ...(rows.some((r) => r.live) ? [{ header: 'FILES NOW', value: (r: (typeof rows)[number]) => r.live ?? '' }] : []),
        { header: 'DETAIL', value: (r) => r.message ?? '' },
      ],
      rows,
    );
  }
  if (summary?.servers?.length) {
    ctx.out.table(
      [
        { header: 'SERVER', value: (s) => s.server },
        { header: 'BATCHES', value: (s) => String(s.batches), align: 'right' },
        { header: 'CONFIG TESTS', value: (s) => String(s.configTests), align: 'right' },
        { header: 'RELOADS', value: (s) => String(s.reloads), align: 'right' },
        { header: 'VERIFIED', value: (s) => String(s.verified), align: 'right' },
        { header: 'FAILED', value: (s) => String(s.failed), align: 'right' },
        { header: 'SECONDS', value: (s) => (s.wallMs / 1000).toFixed(1), align: 'right' },
        { header: 'ERROR', value: (s) => s.error ?? '' },
      ],
      summary.servers,
    );
  }
  if (summary?.counts) ctx.out.text(`Domains: ${describeCounts(summary.counts)}`);
  if (job.status === 'interrupted')
    ctx.out.text(
      `Interrupted: resume with \`passenger-panel job resume ${job.id}\` or undo with \`passenger-panel job rollback ${job.id}\`.`,
    );
}

export const bulkCommand: Command = {
  name: 'bulk',
  summary: 'apply a profile to many domains across servers: one config test and at most one reload per server',
  usage:
    'bulk --profile socketio-safe (--where at-risk|all | --domain D...) [--server S] [--dry-run] [--concurrency N] [--canary] [--max-fail K] [--watch-seconds S] [--no-verify]',
  options: {
    profile: { type: 'string', valueName: 'NAME', description: 'the profile to apply (socketio-safe)' },
    where: { type: 'string', valueName: 'FILTER', description: 'at-risk (every domain the diagnosis calls at risk) or all' },
    domain: {
      type: 'string',
      multiple: true,
      valueName: 'D',
      description: 'an explicit domain (repeatable; SERVER:DOMAIN to pick the server)',
    },
    server: { type: 'string', multiple: true, valueName: 'NAME', description: 'only this server (repeatable; default every server)' },
    'dry-run': { type: 'boolean', description: 'plan only: show what would change, write nothing' },
    concurrency: { type: 'string', valueName: 'N', description: 'verifications at once per server (default 6)' },
    'server-concurrency': { type: 'string', valueName: 'N', description: 'servers at once (default 4)' },
    canary: { type: 'boolean', description: 'the first domain of each server alone first, then the rest' },
    'max-fail': { type: 'string', valueName: 'K', description: 'stop a server after K failed domains (default: no limit)' },
    'watch-seconds': { type: 'string', valueName: 'S', description: 'process watch window of each verification (default 10)' },
    'no-verify': { type: 'boolean', description: 'skip the live verification (and so the automatic rollback)' },
  },
  async run(ctx) {
    const profile = stringOption(ctx.args, 'profile');
    if (profile !== 'socketio-safe') throw new UsageError('--profile socketio-safe is required (the only bulk profile)');
    const where = stringOption(ctx.args, 'where');
    const domains = stringListOption(ctx.args, 'domain');
    // SERVER:DOMAIN or DOMAIN; server names have no ":", domains neither.
    for (const d of domains) domainArgument(d.slice(d.indexOf(':') + 1));
    if ((where === undefined) === (domains.length === 0)) throw new UsageError('give either --where at-risk|all or one or more --domain');
    if (where !== undefined && where !== 'at-risk' && where !== 'all')
      throw new UsageError(`--where must be at-risk or all, got "${where}"`);
    const servers = stringListOption(ctx.args, 'server');
    const verifyConcurrency = integerOption(ctx.args, 'concurrency', { min: 1, max: 64 });
    const serverConcurrency = integerOption(ctx.args, 'server-concurrency', { min: 1, max: 64 });
    const maxFail = integerOption(ctx.args, 'max-fail', { min: 0, max: 100_000 });
    const watchSeconds = integerOption(ctx.args, 'watch-seconds', { min: 1, max: 600 });
    const request: BulkRequest = {
      profile: 'socketio-safe',
      selection: domains.length > 0 ? { kind: 'list', domains } : where === 'all' ? { kind: 'all' } : { kind: 'filter', filter: 'at-risk' },
      ...(servers.length > 0 ? { servers } : {}),
      ...(booleanOption(ctx.args, 'dry-run') ? { dryRun: true } : {}),
      ...(verifyConcurrency !== undefined ? { verifyConcurrency } : {}),
      ...(serverConcurrency !== undefined ? { serverConcurrency } : {}),
      ...(booleanOption(ctx.args, 'canary') ? { canary: true } : {}),
      ...(maxFail !== undefined ? { maxFailPerServer: maxFail } : {}),
      ...(watchSeconds !== undefined ? { watchWindowMs: watchSeconds * 1000 } : {}),
      ...(booleanOption(ctx.args, 'no-verify') ? { verify: false } : {}),
    };
    const { runner } = await ctx.services();
    return followJob(ctx, (onCreated) => runner.startBulk(request, actorName(), onCreated));
  },
};

export const jobsCommand: Command = {
  name: 'jobs',
  summary: 'recent change jobs (apply, set, rollback, bulk) and their status (jobs whose process died show as interrupted)',
  usage: 'jobs [--limit N] [--json]',
  options: { limit: { type: 'string', valueName: 'N', description: 'how many (default 20)' } },
  async run(ctx) {
    const { runner, store } = await ctx.services();
    runner.reconcileInterrupted();
    const limit = integerOption(ctx.args, 'limit', { min: 1, max: 1000 }) ?? 20;
    const jobs = store.jobs.list({ limit }).filter((j) => CHANGE_JOB_KINDS.has(j.kind));
    if (ctx.out.json) {
      ctx.out.data(
        jobs.map((j) => ({
          id: j.id,
          kind: j.kind,
          status: j.status,
          actor: j.actor,
          createdAt: j.createdAt,
          endedAt: j.endedAt ?? null,
          counts: bulkSummary(j)?.counts ?? null,
        })),
      );
      return ExitCode.ok;
    }
    if (jobs.length === 0) {
      ctx.out.text('No jobs yet.');
      return ExitCode.ok;
    }
    ctx.out.table(
      [
        { header: 'JOB', value: (j) => j.id },
        { header: 'KIND', value: (j) => j.kind },
        { header: 'STATUS', value: (j) => j.status },
        { header: 'STARTED', value: (j) => j.createdAt.replace('T', ' ').slice(0, 19) },
        { header: 'BY', value: (j) => j.actor },
        {
          header: 'DOMAINS',
          value: (j) => describeCounts(bulkSummary(j)?.counts ?? Object.fromEntries(countStates(store.jobs.domainStates(j.id)))),
        },
      ],
      jobs,
    );
    return ExitCode.ok;
  },
};

function countStates(states: Array<{ state: string }>): Map<string, number> {
  const m = new Map<string, number>();
  for (const s of states) m.set(s.state, (m.get(s.state) ?? 0) + 1);
  return m;
}

export const jobCommand: Command = {
  name: 'job',
  summary: 'one change job (read back from its servers when interrupted); resume or roll it back',
  usage: 'job <id> | job resume <id> | job rollback <id>',
  async run(ctx) {
    requirePositionals(ctx.args, { min: 1, max: 2 }, 'job <id> | job resume <id> | job rollback <id>');
    const [first, second] = ctx.args.positionals as [string, string | undefined];
    const { runner, store } = await ctx.services();
    if (second !== undefined) {
      if (first !== 'resume' && first !== 'rollback')
        throw new UsageError(`unknown job action "${first.slice(0, 40)}": use resume or rollback`);
      return followJob(ctx, async (onCreated) => {
        onCreated(second);
        return first === 'resume' ? runner.resume(second, actorName()) : runner.rollback(second, actorName());
      });
    }
    runner.reconcileInterrupted();
    const job = store.jobs.get(first);
    if (!job || !CHANGE_JOB_KINDS.has(job.kind))
      throw new UsageError(`no job ${first.slice(0, 60)}`, 'list them with `passenger-panel jobs`');
    let rows = runner.domainRows(job.id);
    if (job.status === 'interrupted' || job.status === 'running') {
      const live = new Map((await runner.readback(job.id)).map((r) => [`${r.server}/${r.domain}`, r.live]));
      rows = rows.map((r) => ({ ...r, live: live.get(`${r.server}/${r.domain}`) ?? '' }));
    }
    printJob(ctx, job, rows);
    return job.status === 'succeeded' ? ExitCode.ok : exitFor(job);
  },
};

function actorName(): string {
  return `cli:${process.env.SUDO_USER ?? process.env.USER ?? 'root'}`;
}
