import type { OptionSpecs, ParsedArgs } from './args.js';
import type { Output } from './output.js';
import type { ServiceOptions, Services, WebPanel } from './services.js';

export interface CommandContext {
  args: ParsedArgs;
  out: Output;
  /**
   * The composition root's services, opened on first use (with `overrides` from that first call)
   * and closed by the runner when the command returns.
   */
  services(overrides?: Partial<ServiceOptions>): Promise<Services>;
  /** The web panel (`serve`, `hash-password`), handed in by the composition root. */
  web: WebPanel;
}

/** One CLI command. Put each in its own file and list it in commands.ts. */
export interface Command {
  name: string;
  /** One line for `passenger-panel help`. */
  summary: string;
  /** e.g. `apply <domain> --profile NAME [--dry-run]` */
  usage: string;
  options?: OptionSpecs;
  /** Long-running commands (serve) own their services' lifetime: the runner does not close them. */
  keepsRunning?: boolean;
  /** Returns the exit code (default 0); throw typed errors for the rest (see exit-codes.ts). */
  run(ctx: CommandContext): Promise<number | undefined>;
}
