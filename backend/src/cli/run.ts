import type { Writable } from 'node:stream';
import { errorMessage, PanelError, ValidationError } from '../errors.js';
import { GLOBAL_OPTIONS, parseCommandArgs, stringOption, type OptionSpecs } from './args.js';
import type { Command } from './command.js';
import { commands, findCommand } from './commands.js';
import { ExitCode, exitCodeFor, UsageError } from './exit-codes.js';
import { escapeControls, Output } from './output.js';
import type { ServiceOptions, Services, WebPanel } from './services.js';

export interface CliIo {
  stdout?: Writable;
  stderr?: Writable;
  createServices: (options: ServiceOptions) => Promise<Services>;
  web: WebPanel;
}

const EXIT_CODES_HELP = `Exit codes:
  0  done
  1  the change failed verification and was rolled back
  2  refused input (bad arguments, config or value); nothing was changed
  3  the rollback failed, or another server-side error
  4  a server could not be reached over SSH (unreachable, key refused, host key mismatch)`;

function optionLines(specs: OptionSpecs): string[] {
  return Object.entries(specs).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ''}--${name}${spec.type === 'string' ? ` ${spec.valueName ?? 'VALUE'}` : ''}`;
    return `  ${flag.padEnd(30)} ${spec.description}`;
  });
}

export function generalHelp(): string {
  const width = Math.max('help'.length, ...commands.map((c) => c.name.length));
  return [
    'Usage: passenger-panel <command> [options]',
    '',
    'Commands:',
    ...commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`),
    `  ${'help'.padEnd(width)}  help for a command: passenger-panel help <command>`,
    '',
    'Options for every command:',
    ...optionLines(GLOBAL_OPTIONS),
    '',
    EXIT_CODES_HELP,
    '',
  ].join('\n');
}

export function commandHelp(command: Command): string {
  return [
    `Usage: passenger-panel ${command.usage}`,
    '',
    command.summary,
    '',
    'Options:',
    ...optionLines({ ...(command.options ?? {}), ...GLOBAL_OPTIONS }),
    '',
  ].join('\n');
}

function describeError(err: unknown): { code: string; message: string; hint?: string; field?: string } {
  if (err instanceof PanelError) {
    return {
      code: err.code,
      message: err.message,
      ...(err.hint ? { hint: err.hint } : {}),
      ...(err instanceof ValidationError && err.field ? { field: err.field } : {}),
    };
  }
  return { code: 'internal', message: errorMessage(err) };
}

/** Runs one CLI invocation and returns its exit code; never throws. */
export async function runCli(argv: readonly string[], io: CliIo): Promise<number> {
  const stdout = io.stdout ?? process.stdout;
  const stderr = io.stderr ?? process.stderr;
  const [name, ...rest] = argv;
  let out = new Output({ json: argv.includes('--json'), stdout, stderr });

  if (name === undefined || name === 'help' || name === '--help' || name === '-h') {
    const topic = name === 'help' ? rest[0] : undefined;
    const command = topic === undefined ? undefined : findCommand(topic);
    if (topic !== undefined && !command) {
      stderr.write(`error: unknown command "${escapeControls(topic)}"\n\n${generalHelp()}`);
      return ExitCode.refused;
    }
    stdout.write(command ? commandHelp(command) : generalHelp());
    return ExitCode.ok;
  }

  let services: Services | undefined;
  let keepOpen = false;
  try {
    const command = findCommand(name);
    if (!command) {
      throw new UsageError(
        `unknown command "${name}"`,
        `commands: ${commands.map((c) => c.name).join(', ')}; see \`passenger-panel help\``,
      );
    }
    const args = parseCommandArgs(rest, command.options ?? {});
    out = new Output({ json: args.values.json === true, stdout, stderr });
    if (args.values.help === true) {
      stdout.write(commandHelp(command));
      return ExitCode.ok;
    }
    keepOpen = command.keepsRunning === true;
    const base: ServiceOptions = {
      configPath: stringOption(args, 'config'),
      dataDir: stringOption(args, 'data'),
      // The terminal is for results; logs go to stderr and only warnings by default.
      logLevel: process.env.PASSENGER_PANEL_LOG_LEVEL ?? (keepOpen ? 'info' : 'warn'),
    };
    const code = await command.run({
      args,
      out,
      services: async (overrides = {}) => {
        services ??= await io.createServices({ ...base, ...overrides });
        return services;
      },
      web: io.web,
    });
    return code ?? ExitCode.ok;
  } catch (err) {
    const described = describeError(err);
    if (out.json) out.data({ error: described });
    // Messages may quote the input (an unknown command or option): an escape sequence in it must not reach the terminal.
    stderr.write(`error: ${escapeControls(described.message)}\n${described.hint ? `hint: ${escapeControls(described.hint)}\n` : ''}`);
    if (!(err instanceof PanelError) && err instanceof Error && err.stack && process.env.PASSENGER_PANEL_DEBUG)
      stderr.write(`${err.stack}\n`);
    return exitCodeFor(err);
  } finally {
    if (services && !keepOpen) await services.close();
  }
}
