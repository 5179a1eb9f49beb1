/**
 * `apply`, `set`, `verify`, `rollback`, `history`: the change commands of the CLI. Steps are printed
 * live as they happen; `--json` prints one JSON document at the end instead. Exit codes:
 * 0 ok, 1 failed (verification or config test) and rolled back, 2 refused input, 3 rollback failed / server error.
 */
import type { ServerConfig } from '../config/types.js';
import { ValidationError } from '../errors.js';
import type { EventSink, StepEvent } from '../events.js';
import type { ChangePlan, RequestedSetting } from '../apply/plan.js';
import type { ChangeResult, ChangeService } from '../jobs/change-service.js';
import { planForJournal } from '../jobs/change-service.js';

export interface ChangeCommandContext {
  service: ChangeService;
  server: ServerConfig;
  actor: string;
  /** One line to stdout. */
  out: (line: string) => void;
}

export interface ParsedArgs {
  positionals: string[];
  flags: Map<string, string | true>;
}

/** Minimal flag parsing for these commands: `--name value`, `--name=value`, boolean `--flag`. */
export function parseChangeArgs(argv: readonly string[], valued: readonly string[]): ParsedArgs {
  const positionals: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] as string;
    if (!a.startsWith('--')) {
      positionals.push(a);
      continue;
    }
    const eq = a.indexOf('=');
    const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
    if (eq > 0) flags.set(name, a.slice(eq + 1));
    else if (valued.includes(name)) {
      const v = argv[++i];
      if (v === undefined) throw new ValidationError(`--${name} needs a value.`, { field: name });
      flags.set(name, v);
    } else flags.set(name, true);
  }
  return { positionals, flags };
}

const MARK: Record<StepEvent['status'], string> = { start: '..', ok: 'ok', fail: '!!', info: '--' };

/** Live step printer: `HH:MM:SS ok  step  message`. */
export function liveSteps(out: (line: string) => void): EventSink {
  return (e) => out(`${e.at.slice(11, 19)} ${MARK[e.status].padEnd(2)} ${e.step.padEnd(18)} ${e.message.replace(/\s+/g, ' ')}`);
}

export function renderPlan(plan: ChangePlan): string[] {
  const lines = [`Plan for ${plan.domain} on ${plan.server}: ${plan.summary}`];
  for (const s of plan.settings) lines.push(`  ${s.key} = ${s.value === null ? '(removed)' : String(s.value)}${s.files.length ? `  -> ${s.files.join(', ')}` : ''}${s.reason ? `\n      ${s.reason}` : ''}`);
  if (plan.reloadImpact) {
    const r = plan.reloadImpact;
    lines.push(`  Reload cost: restarts ${r.otherApps} other app(s) with ${r.otherProcesses} process(es) holding ${r.otherSessions} session(s) on this ${r.webServer}, plus this domain's ${r.thisDomainProcesses}.`);
  }
  for (const f of plan.findings) lines.push(`  [${f.severity}] ${f.title}: ${f.fix}`);
  if (plan.testFault) lines.push(`  TEST FAULT SEAM ACTIVE: ${plan.testFault} (PASSENGER_PANEL_TEST_FAULT)`);
  for (const f of plan.files) lines.push(...f.diff.trimEnd().split('\n').map((l) => `  ${l}`));
  return lines;
}

function resultJson(r: ChangeResult): unknown {
  return {
    status: r.status,
    exitCode: r.exitCode,
    message: r.message,
    changeId: r.changeId ?? null,
    checkpointId: r.checkpointId ?? null,
    plan: r.plan ? planForJournal(r.plan) : null,
    reloads: r.outcome?.reloads ?? 0,
    verification: r.verification ? { verdict: r.verification.verdict, checks: r.verification.checks } : null,
    rollback: r.rollback
      ? { changeId: r.rollback.changeId, status: r.rollback.outcome.status, verification: r.rollback.verification ? { verdict: r.rollback.verification.verdict, checks: r.rollback.verification.checks } : null }
      : null,
  };
}

function finishResult(r: ChangeResult, json: boolean, ctx: ChangeCommandContext): number {
  if (json) ctx.out(JSON.stringify(resultJson(r), null, 2));
  else {
    if (r.plan && (r.status === 'dry-run' || r.status === 'nothing-to-do')) renderPlan(r.plan).forEach((l) => ctx.out(l));
    ctx.out(`${r.status.toUpperCase()}: ${r.message}${r.checkpointId ? ` (checkpoint ${r.checkpointId})` : ''}`);
  }
  return r.exitCode;
}

/** KEY=VALUE -> a requested setting; `KEY=` (empty) removes our line for KEY. */
export function parseAssignment(text: string): RequestedSetting {
  const eq = text.indexOf('=');
  if (eq <= 0) throw new ValidationError(`"${text.slice(0, 60)}" is not KEY=VALUE.`, { hint: 'e.g. passenger_min_instances=1, or KEY= to remove our line' });
  const value = text.slice(eq + 1);
  return { key: text.slice(0, eq), value: value === '' ? null : value };
}

export async function runChangeCommand(command: string, argv: readonly string[], ctx: ChangeCommandContext): Promise<number> {
  const args = parseChangeArgs(argv, ['profile', 'to', 'server', 'watch']);
  const json = args.flags.has('json');
  const [domain, ...rest] = args.positionals;
  if (!domain) throw new ValidationError(`${command} needs a domain.`, { hint: `passenger-panel ${command} <domain> ...` });
  const events = json ? undefined : liveSteps(ctx.out);
  const common = { actor: ctx.actor, dryRun: args.flags.has('dry-run'), verify: !args.flags.has('no-verify'), ...(events ? { events } : {}) };
  switch (command) {
    case 'apply': {
      const profile = args.flags.get('profile');
      if (profile !== 'socketio-safe') throw new ValidationError('apply needs --profile socketio-safe.', { field: 'profile' });
      return finishResult(await ctx.service.apply(ctx.server, domain, { kind: 'profile', profile }, common), json, ctx);
    }
    case 'set': {
      if (rest.length === 0) throw new ValidationError('set needs at least one KEY=VALUE.', { hint: 'e.g. set example.com passenger_min_instances=1' });
      const settings = rest.map(parseAssignment);
      return finishResult(await ctx.service.apply(ctx.server, domain, { kind: 'set', settings }, common), json, ctx);
    }
    case 'rollback': {
      const to = args.flags.get('to');
      return finishResult(await ctx.service.rollback(ctx.server, domain, { ...common, ...(typeof to === 'string' ? { to } : {}) }), json, ctx);
    }
    case 'verify': {
      const { report, changeId } = await ctx.service.verify(ctx.server, domain, { actor: ctx.actor, ...(events ? { events } : {}) });
      if (json) ctx.out(JSON.stringify({ changeId, verdict: report.verdict, ok: report.ok, scheme: report.scheme, checks: report.checks }, null, 2));
      else ctx.out(`${report.ok ? 'VERIFIED' : 'FAILED'}: ${report.checks.map((c) => `${c.check} ${c.ok ? 'ok' : 'FAILED'}: ${c.summary}`).join(' | ')}`);
      return report.ok ? 0 : 1;
    }
    case 'history': {
      const entries = ctx.service.history(ctx.server, domain);
      if (json) {
        ctx.out(JSON.stringify(entries, null, 2));
        return 0;
      }
      if (entries.length === 0) ctx.out(`No changes recorded for ${domain}.`);
      for (const c of entries) {
        ctx.out(`${c.createdAt}  ${c.kind.padEnd(13)} ${c.status.padEnd(15)} ${String(c.verdict ?? '').padEnd(10)} by ${c.actor}  ${c.id}${c.checkpointId ? `  checkpoint ${c.checkpointId}` : ''}`);
      }
      return 0;
    }
    default:
      throw new ValidationError(`Unknown command ${command}.`);
  }
}

export const CHANGE_COMMANDS = ['apply', 'set', 'verify', 'rollback', 'history'] as const;
