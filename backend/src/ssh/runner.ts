import type { SshExecOptions, SshExecResult } from './session.js';

/**
 * What every layer above ssh/ needs of a server: run one command, or one `sh -c` script with
 * arguments. SshSession implements it; unit tests pass a scripted runner to drive failure paths.
 */
export interface RemoteRunner {
  /** The server's name, for messages and events. */
  readonly name: string;
  exec(argv: readonly string[], opts?: SshExecOptions): Promise<SshExecResult>;
  /** `sh -c script sh args...`: the script reads its inputs as "$1"... */
  execScript(script: string, args?: readonly string[], opts?: SshExecOptions): Promise<SshExecResult>;
}
