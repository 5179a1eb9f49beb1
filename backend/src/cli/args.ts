import { parseArgs } from 'node:util';
import { ValidationError } from '../errors.js';
import { UsageError } from './exit-codes.js';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  multiple?: boolean;
  /** Shown in `help <command>`. */
  description: string;
  /** Placeholder in help, e.g. `NAME` for `--server NAME`. */
  valueName?: string;
}

export type OptionSpecs = Record<string, OptionSpec>;

export type OptionValue = string | boolean | string[] | boolean[] | undefined;

export interface ParsedArgs {
  values: Record<string, OptionValue>;
  positionals: string[];
}

/** Options every command understands. */
export const GLOBAL_OPTIONS: OptionSpecs = {
  json: { type: 'boolean', description: 'print one JSON document on stdout instead of text' },
  help: { type: 'boolean', short: 'h', description: 'show help for the command' },
  config: { type: 'string', valueName: 'FILE', description: 'config file (default: $PASSENGER_PANEL_CONFIG)' },
  data: { type: 'string', valueName: 'DIR', description: 'data directory (default: $PASSENGER_PANEL_DATA or ./data)' },
};

/** Strict parsing: unknown options and missing values are refused with a usage error (exit code 2). */
export function parseCommandArgs(argv: readonly string[], specs: OptionSpecs): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; short?: string; multiple?: boolean }> = {};
  for (const [name, spec] of Object.entries({ ...GLOBAL_OPTIONS, ...specs })) {
    options[name] = { type: spec.type, ...(spec.short ? { short: spec.short } : {}), ...(spec.multiple ? { multiple: true } : {}) };
  }
  try {
    const { values, positionals } = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
    return { values: values as Record<string, OptionValue>, positionals };
  } catch (err) {
    // node's messages are good ("Unknown option '--foo'"); drop its advice about "--" which does not apply here.
    const message = (err as Error).message.split('. To specify a positional')[0] ?? String(err);
    throw new UsageError(message);
  }
}

/** Typed accessors, so commands do not cast. */
export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const value = args.values[name];
  return typeof value === 'string' ? value : undefined;
}

export function booleanOption(args: ParsedArgs, name: string): boolean {
  return args.values[name] === true;
}

export function stringListOption(args: ParsedArgs, name: string): string[] {
  const value = args.values[name];
  if (Array.isArray(value)) return value.filter((v): v is string => typeof v === 'string');
  return typeof value === 'string' ? [value] : [];
}

/** An integer option within bounds, or a usage error naming the option. */
export function integerOption(args: ParsedArgs, name: string, bounds: { min: number; max: number }): number | undefined {
  const text = stringOption(args, name);
  if (text === undefined) return undefined;
  const value = Number(text);
  if (!/^-?\d+$/.test(text) || value < bounds.min || value > bounds.max) {
    throw new UsageError(`--${name} must be a whole number from ${bounds.min} to ${bounds.max}, got "${text}"`);
  }
  return value;
}

export function requirePositionals(args: ParsedArgs, count: { min: number; max: number }, usage: string): void {
  const n = args.positionals.length;
  if (n < count.min || n > count.max) {
    throw new UsageError(
      n < count.min ? `missing argument: usage: ${usage}` : `unexpected argument "${args.positionals[count.max]}": usage: ${usage}`,
    );
  }
}

/** A domain as Plesk stores it: lower-case ASCII labels (IDNs in their xn-- form), at most 253 characters. */
const DOMAIN_NAME = /^(?=.{1,253}$)[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]{0,61}[a-z0-9_])?)*$/;

/**
 * The domain named on the command line, in lower case, or a refusal: checked before anything is opened
 * or stored, so a name with a line break, `../` or a look-alike letter never reaches a job, a log or a server.
 */
export function domainArgument(text: string): string {
  const name = text.toLowerCase();
  if (!DOMAIN_NAME.test(name)) {
    throw new ValidationError(`"${printable(text)}" is not a domain name`, {
      field: 'domain',
      hint: 'give the name as Plesk lists it, e.g. example.com (IDNs in their xn-- form); see `passenger-panel inventory`',
    });
  }
  return name;
}

/** For echoing input back in an error without letting control characters into the terminal. */
export function printable(text: string, max = 100): string {
  return text.replace(/[^\x20-\x7e]/g, '?').slice(0, max);
}
