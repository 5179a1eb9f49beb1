/**
 * `server-plan`: the admin-only server-wide recommendations (pool idle time) and what applying them would
 * restart. Kept apart from the per-domain profile because these settings act on every app of the server.
 */
import { ValidationError } from '../errors.js';
import { requirePositionals, stringOption } from './args.js';
import type { Command } from './command.js';
import { ExitCode } from './exit-codes.js';

export const serverPlanCommand: Command = {
  name: 'server-plan',
  summary: 'server-wide Socket.IO recommendations (admin only) with the reload cost they carry; writes nothing',
  usage: 'server-plan [--server NAME] [--json]',
  options: { server: { type: 'string' as const, valueName: 'NAME', description: 'the server (default: the only one)' } },
  async run(ctx) {
    requirePositionals(ctx.args, { min: 0, max: 0 }, this.usage);
    const { servers, changes } = await ctx.services();
    const named = stringOption(ctx.args, 'server');
    const all = servers.list();
    if (!named && all.length !== 1) {
      throw new ValidationError(`${all.length} servers are configured`, { hint: 'name one with --server' });
    }
    const server = named ? servers.get(named) : all[0]!;
    const plan = await changes.serverPlan(server);
    if (ctx.out.json) {
      ctx.out.data(plan);
      return ExitCode.ok;
    }
    ctx.out.text(`Server-wide plan for ${plan.server} (admin only): ${plan.effect.summary}`);
    for (const r of plan.recommendations) {
      ctx.out.text(`  ${r.name}: ${String(r.current)} (from ${r.source}) -> ${String(r.recommended)}`);
      ctx.out.text(`      ${r.reason}`);
    }
    return ExitCode.ok;
  },
};
