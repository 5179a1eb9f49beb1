import type { Command } from './command.js';
import { bulkCommand, jobCommand, jobsCommand } from './bulk.js';
import { serversCommand } from './servers.js';
import { inventoryCommand, showCommand } from './inventory.js';
import { serveCommand } from './serve.js';
import { hashPasswordCommand } from './hash-password.js';
import { serverPlanCommand } from './server-plan.js';
import { applyCommand, historyCommand, rollbackCommand, setCommand, verifyCommand } from './change-commands.js';

/**
 * Every CLI command, in the order `help` lists them. To add one: write it in its own file
 * (cli/<name>.ts exporting a `Command`), import it here and add it to the list. Keep to your own lines.
 */
export const commands: Command[] = [
  serversCommand,
  inventoryCommand,
  showCommand,
  applyCommand,
  setCommand,
  verifyCommand,
  rollbackCommand,
  historyCommand,
  serverPlanCommand,
  bulkCommand,
  jobsCommand,
  jobCommand,
  serveCommand,
  hashPasswordCommand,
];

export function findCommand(name: string): Command | undefined {
  return commands.find((c) => c.name === name);
}
