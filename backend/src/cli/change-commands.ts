/**
 * `apply`, `set`, `verify`, `rollback`, `history`: the single-domain change commands. Steps are
 * printed live as they happen (on stderr with --json, where stdout holds one JSON document at the end).
 * Exit codes (cli/exit-codes.ts): 0 ok; 1 the change failed (verification or config test) and was rolled
 * back; 2 refused input, nothing written; 3 the rollback failed or another server error.
 */
import { userInfo } from 'node:os';
import type { ServerEntry } from '../config/types.js';
import { PanelError, ValidationError } from '../errors.js';
import type { ChangePlan, RequestedSetting } from '../apply/plan.js';
import { type ChangeResult, planForJournal } from '../jobs/change-service.js';
import type { SingleRequest } from '../jobs/job-runner.js';
import { lookupDirective } from '../passenger/catalog.js';
import { checkPlacement, parseValue } from '../passenger/value-check.js';
import { SOCKETIO_SAFE } from '../profile/socketio-safe.js';
import { booleanOption, domainArgument, printable, requirePositionals, stringOption } from './args.js';
import type { Command, CommandContext } from './command.js';
import { ExitCode, UsageError, exitCodeForState } from './exit-codes.js';

const SERVER = {
  server: { type: 'string' as const, valueName: 'NAME', description: 'the server hosting the domain (default: the one that has it)' },
};
const CHANGE_OPTIONS = {
  ...SERVER,
  'dry-run': { type: 'boolean' as const, description: 'show the plan (diff per file, reload and its cost) and write nothing' },
  'no-verify': { type: 'boolean' as const, description: 'skip the live verification (and so the automatic rollback on failure)' },
};

/** The server named by --server, the only server, or the one whose inventory has the domain. */
async function serverFor(ctx: CommandContext, domain: string): Promise<ServerEntry> {
  const { servers, inventory } = await ctx.services();
  const named = stringOption(ctx.args, 'server');
  if (named) return servers.get(named);
  const all = servers.list();
  if (all.length === 1) return all[0]!;
  if (all.length === 0) throw new ValidationError('no servers configured', { hint: 'add one with `passenger-panel servers add`' });
  for (const s of all) {
    const read = await inventory.get(s, 60_000).catch(() => undefined);
    if (read?.inventory.domains.some((d) => d.name === domain)) return s;
  }
  throw new ValidationError(`domain ${domain.slice(0, 100)} was not found on any server`, { hint: 'name its server with --server' });
}

function domainArg(ctx: CommandContext, usage: string, max = 1): string {
  requirePositionals(ctx.args, { min: 1, max }, usage);
  return domainArgument(ctx.args.positionals[0]!);
}

export function renderPlan(plan: ChangePlan): string {
  const lines = [`Plan for ${plan.domain} on ${plan.server}: ${plan.summary}`];
  for (const s of plan.settings) {
    lines.push(
      `  ${s.key} = ${s.value === null ? '(our line removed)' : String(s.value)}${s.files.length ? `  -> ${s.files.join(', ')}` : ''}`,
    );
    if (s.reason) lines.push(`      ${s.reason}`);
  }
  if (plan.reloadImpact) {
    const r = plan.reloadImpact;
    lines.push(
      `  Reload cost: restarts ${r.otherApps} other app(s) with ${r.otherProcesses} process(es) holding ${r.otherSessions} session(s) ` +
        `on this ${r.webServer}, plus this domain's ${r.thisDomainProcesses}.`,
    );
  }
  for (const f of plan.findings) lines.push(`  [${f.severity}] ${f.title}: ${f.fix}`);
  for (const f of plan.files)
    lines.push(
      ...f.diff
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  return `${lines.join('\n')}\n`;
}

function resultJson(r: ChangeResult): unknown {
  const verification = (v: ChangeResult['verification']) => (v ? { verdict: v.verdict, scheme: v.scheme, checks: v.checks } : null);
  return {
    status: r.status,
    exitCode: exitCodeForState(r.status),
    message: r.message,
    changeId: r.changeId ?? null,
    checkpointId: r.checkpointId ?? null,
    plan: r.plan ? planForJournal(r.plan) : null,
    reloads: r.outcome?.reloads ?? 0,
    verification: verification(r.verification),
    rollback: r.rollback
      ? { changeId: r.rollback.changeId, status: r.rollback.outcome.status, verification: verification(r.rollback.verification) }
      : null,
  };
}

function report(ctx: CommandContext, r: ChangeResult): number {
  if (ctx.out.json) ctx.out.data(resultJson(r));
  else {
    if (r.plan && (r.status === 'planned' || r.status === 'nothing-to-do')) ctx.out.text(renderPlan(r.plan));
    ctx.out.text(
      `${r.status === 'planned' ? 'DRY RUN (nothing written)' : r.status.toUpperCase()}: ${r.message}${r.checkpointId ? ` (checkpoint ${r.checkpointId})` : ''}`,
    );
  }
  return exitCodeForState(r.status);
}

/** KEY=VALUE -> a requested setting; `KEY=` (empty) removes our line for KEY. The key must be the catalog's. */
export function parseAssignment(text: string): RequestedSetting {
  const eq = text.indexOf('=');
  if (eq <= 0)
    throw new UsageError(`"${text.slice(0, 60)}" is not KEY=VALUE`, 'e.g. passenger_min_instances=1, or KEY= to remove our line');
  const spec = lookupDirective(text.slice(0, eq));
  if (!spec)
    throw new ValidationError(`Unknown directive "${text.slice(0, Math.min(eq, 80))}".`, {
      field: 'directive',
      hint: 'use a name from the catalog, e.g. passenger_min_instances',
    });
  const value = text.slice(eq + 1);
  // Type, range and characters are checked now, before a job is recorded; the plan checks the placement
  // for the domain's own files again. Nothing per domain can take an Enterprise-only or server-wide directive.
  if (spec.enterpriseOnly || spec.serverOnly) checkPlacement(spec, { server: 'apache', context: 'vhost' });
  if (value !== '') parseValue(spec, value);
  return { key: spec.key, value: value === '' ? null : value };
}

function changeOptions(ctx: CommandContext) {
  return {
    actor: `cli:${process.env.SUDO_USER ?? process.env.USER ?? userInfo().username}`,
    dryRun: booleanOption(ctx.args, 'dry-run'),
    verify: !booleanOption(ctx.args, 'no-verify'),
    events: (e: Parameters<CommandContext['out']['event']>[0]) => ctx.out.event(e),
  };
}

/**
 * Runs a change as a durable job (the plan of a dry run is shown, nothing is stored): killed midway,
 * it shows as interrupted in `jobs` and `job resume|rollback <id>` finishes it.
 */
async function runAsJob(ctx: CommandContext, domain: string, request: SingleRequest): Promise<number> {
  const server = await serverFor(ctx, domain);
  const { changes, runner } = await ctx.services();
  const opts = changeOptions(ctx);
  if (opts.dryRun) {
    const preview =
      request.kind === 'rollback'
        ? await changes.rollback(server, domain, { ...opts, ...(request.to ? { to: request.to } : {}) })
        : await changes.apply(server, domain, request, opts);
    return report(ctx, preview);
  }
  const { jobId, done } = runner.startChange(server, domain, request, opts.actor, { verify: opts.verify, events: opts.events });
  ctx.out.note(`job ${jobId}`);
  const result = await done;
  if (!result) {
    const job = (await ctx.services()).store.jobs.get(jobId);
    throw new PanelError('job_failed', `job ${jobId} failed: ${String((job?.summary as { message?: string } | null)?.message ?? '')}`, {
      hint: `see \`passenger-panel job ${jobId}\``,
    });
  }
  return report(ctx, result);
}

export const applyCommand: Command = {
  name: 'apply',
  summary: 'apply a profile to one domain: plan, checkpoint, write, test, reload if needed, verify live, roll back on failure',
  usage: 'apply <domain> --profile socketio-safe [--dry-run] [--no-verify] [--server NAME] [--json]',
  options: { ...CHANGE_OPTIONS, profile: { type: 'string', valueName: 'NAME', description: `the profile (${SOCKETIO_SAFE})` } },
  async run(ctx) {
    const domain = domainArg(ctx, this.usage);
    const profile = stringOption(ctx.args, 'profile');
    if (profile !== SOCKETIO_SAFE)
      throw new UsageError(`apply needs --profile ${SOCKETIO_SAFE}${profile ? ` (unknown profile "${profile.slice(0, 40)}")` : ''}`);
    return runAsJob(ctx, domain, { kind: 'profile', profile });
  },
};

export const setCommand: Command = {
  name: 'set',
  summary: 'set Passenger directives on one domain through the catalog checks (KEY= removes our line)',
  usage: 'set <domain> KEY=VALUE... [--dry-run] [--no-verify] [--server NAME] [--json]',
  options: CHANGE_OPTIONS,
  async run(ctx) {
    const domain = domainArg(ctx, this.usage, 100);
    const settings = ctx.args.positionals.slice(1).map(parseAssignment);
    if (settings.length === 0) throw new UsageError('set needs at least one KEY=VALUE', 'e.g. set example.com passenger_min_instances=1');
    return runAsJob(ctx, domain, { kind: 'set', settings });
  },
};

export const rollbackCommand: Command = {
  name: 'rollback',
  summary: "put a domain's files back to a checkpoint (default: the newest), then verify",
  usage: 'rollback <domain> [--to CHECKPOINT] [--dry-run] [--no-verify] [--server NAME] [--json]',
  options: { ...CHANGE_OPTIONS, to: { type: 'string', valueName: 'CHECKPOINT', description: 'checkpoint id (see `history`)' } },
  async run(ctx) {
    const domain = domainArg(ctx, this.usage);
    const to = stringOption(ctx.args, 'to');
    if (to !== undefined && !/^[A-Za-z0-9_-]{1,64}$/.test(to))
      throw new UsageError(
        `--to must be a checkpoint id such as cp_mf3k2a1b0_1a2b3c4d, got "${printable(to, 60)}"`,
        'see `history <domain>`',
      );
    return runAsJob(ctx, domain, { kind: 'rollback', ...(to ? { to } : {}) });
  },
};

export const verifyCommand: Command = {
  name: 'verify',
  summary: 'live restart verification of one domain: restart, browser-rules overlap probe, WebSocket, process watch',
  usage: 'verify <domain> [--server NAME] [--json]',
  options: SERVER,
  async run(ctx) {
    const domain = domainArg(ctx, this.usage);
    const server = await serverFor(ctx, domain);
    const { changes } = await ctx.services();
    const { report: r, changeId } = await changes.verify(server, domain, {
      actor: changeOptions(ctx).actor,
      events: (e) => ctx.out.event(e),
    });
    if (ctx.out.json)
      ctx.out.data({ changeId, verdict: r.verdict, ok: r.ok, scheme: r.scheme, cookieMode: r.cookieMode, checks: r.checks });
    else for (const c of r.checks) ctx.out.text(`${c.ok ? 'ok    ' : 'FAILED'} ${c.check.padEnd(9)} ${c.summary}`);
    if (!ctx.out.json) ctx.out.text(r.ok ? 'VERIFIED' : 'FAILED');
    return r.ok ? ExitCode.ok : ExitCode.verificationFailed;
  },
};

export const historyCommand: Command = {
  name: 'history',
  summary: "one domain's journal: every change and rollback, who, when, verdict, checkpoint",
  usage: 'history <domain> [--server NAME] [--json]',
  options: SERVER,
  async run(ctx) {
    const domain = domainArg(ctx, this.usage);
    const server = await serverFor(ctx, domain);
    const { changes } = await ctx.services();
    const entries = changes.history(server, domain);
    if (ctx.out.json) {
      ctx.out.data(entries);
      return ExitCode.ok;
    }
    if (entries.length === 0) ctx.out.text(`No changes recorded for ${domain} on ${server.name}.`);
    ctx.out.table(
      [
        { header: 'when', value: (c) => c.createdAt.replace('T', ' ').slice(0, 19) },
        { header: 'kind', value: (c) => c.kind },
        { header: 'status', value: (c) => c.status },
        { header: 'verdict', value: (c) => c.verdict ?? '' },
        { header: 'by', value: (c) => c.actor },
        { header: 'change', value: (c) => c.id },
        { header: 'checkpoint', value: (c) => c.checkpointId ?? '' },
      ],
      entries,
    );
    return ExitCode.ok;
  },
};
