/**
 * `inventory [--server S] [--json]` and `show <domain> [--server S] [--json]`: read servers (one SSH
 * exec each), diagnose them, print a table / one domain's settings with their sources.
 */
import type { ServerEntry } from '../config/types.js';
import { ValidationError, errorMessage } from '../errors.js';
import { domainArgument, printable, stringOption, requirePositionals } from './args.js';
import type { Command, CommandContext } from './command.js';
import { ExitCode } from './exit-codes.js';
import { type DiagnosedServer, diagnosedServer, domainJson, inventoryJson, renderDomain, renderInventoryTable } from './inventory-view.js';

const SERVER_OPTION = { server: { type: 'string' as const, valueName: 'NAME', description: 'only this server (default: every server)' } };

async function readServers(
  ctx: CommandContext,
  only: string | undefined,
): Promise<{ ok: DiagnosedServer[]; failed: { server: string; error: unknown }[] }> {
  const { servers, inventory } = await ctx.services();
  const list: ServerEntry[] = only ? [servers.get(only)] : servers.list();
  if (list.length === 0) {
    throw new ValidationError('no servers configured', {
      hint: 'add one with `passenger-panel servers add`, or set up the demo host: bash test/host/setup.sh',
    });
  }
  const results = await Promise.allSettled(list.map((s) => inventory.refresh(s)));
  const ok: DiagnosedServer[] = [];
  const failed: { server: string; error: unknown }[] = [];
  results.forEach((r, i) => {
    if (r.status === 'fulfilled') ok.push(diagnosedServer(r.value.inventory, r.value.analysis));
    else failed.push({ server: list[i]!.name, error: r.reason });
  });
  return { ok, failed };
}

export const inventoryCommand: Command = {
  name: 'inventory',
  summary: "every domain's verdict, process count and main finding (one SSH exec per server)",
  usage: 'inventory [--server NAME] [--json]',
  options: SERVER_OPTION,
  async run(ctx) {
    const { ok, failed } = await readServers(ctx, stringOption(ctx.args, 'server'));
    if (failed.length > 0 && ok.length === 0 && failed.length === 1) throw failed[0]!.error;
    if (ctx.out.json) {
      const json = inventoryJson(ok);
      ctx.out.data({ ...json, failed: failed.map((f) => ({ server: f.server, error: errorMessage(f.error) })) });
    } else {
      ctx.out.text(renderInventoryTable(ok));
      for (const f of failed) ctx.out.note(`${f.server}: ${errorMessage(f.error)}`);
    }
    return failed.length > 0 ? ExitCode.serverError : ExitCode.ok;
  },
};

export const showCommand: Command = {
  name: 'show',
  summary: 'one domain: effective Passenger settings and where each comes from, processes, findings with fixes',
  usage: 'show <domain> [--server NAME] [--json]',
  options: SERVER_OPTION,
  async run(ctx) {
    requirePositionals(ctx.args, { min: 1, max: 1 }, 'show <domain> [--server NAME] [--json]');
    const name = domainArgument(ctx.args.positionals[0]!);
    const only = stringOption(ctx.args, 'server');
    const { ok, failed } = await readServers(ctx, only);
    for (const server of ok) {
      const domain = server.inventory.domains.find((d) => d.name === name);
      if (!domain) continue;
      if (ctx.out.json) ctx.out.data(domainJson(server, domain));
      else ctx.out.text(renderDomain(server, domain));
      return ExitCode.ok;
    }
    if (failed.length > 0) throw failed[0]!.error;
    throw new ValidationError(`domain ${printable(name)} was not found on ${only ?? 'any server'}`, {
      hint: 'list the domains with `passenger-panel inventory`',
    });
  },
};
