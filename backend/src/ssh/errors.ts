import { PanelError } from '../errors.js';

/** Anything that went wrong talking to a server over SSH; `server` names the configured server. */
export class SshError extends PanelError {
  readonly server: string;

  constructor(code: string, server: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super(code, message, options);
    this.server = server;
  }
}

/** No SSH session could be opened: refused, no route, DNS, or no handshake within the connect timeout. */
export class SshUnreachableError extends SshError {
  constructor(server: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('ssh_unreachable', server, message, options);
  }
}

/** The server answered but refused our key (or the key could not be loaded). */
export class SshAuthError extends SshError {
  constructor(server: string, message: string, options: { hint?: string; cause?: unknown } = {}) {
    super('ssh_auth', server, message, options);
  }
}

/** The host key the server presented is not the pinned one (unknown, changed, revoked, or no pin configured). */
export class SshHostKeyError extends SshError {
  readonly presentedFingerprint: string | undefined;

  constructor(server: string, message: string, presentedFingerprint: string | undefined, options: { hint?: string; cause?: unknown } = {}) {
    super('ssh_host_key', server, message, options);
    this.presentedFingerprint = presentedFingerprint;
  }
}

/** A remote command did not finish within its time limit; it was signalled and its channel closed. */
export class SshTimeoutError extends SshError {
  readonly timeoutMs: number;

  constructor(server: string, message: string, timeoutMs: number, options: { hint?: string; cause?: unknown } = {}) {
    super('ssh_timeout', server, message, options);
    this.timeoutMs = timeoutMs;
  }
}

/** A remote command printed more than the cap allows; it was stopped and its output dropped. */
export class SshOutputTooLargeError extends SshError {
  constructor(
    server: string,
    message: string,
    readonly maxBytes: number,
  ) {
    super('ssh_output_too_large', server, message, {
      hint: 'something on the server is much larger than config files are; look for a huge or special file the command read',
    });
  }
}

/** A remote command ran and exited non-zero (or was killed by a signal). */
export class SshCommandError extends SshError {
  readonly exitCode: number;
  readonly signal: string | undefined;
  readonly stderrTail: string;
  readonly stdout: string;

  constructor(
    server: string,
    message: string,
    details: { exitCode: number; signal?: string | undefined; stderrTail: string; stdout: string },
    options: { hint?: string; cause?: unknown } = {},
  ) {
    super('ssh_command', server, message, options);
    this.exitCode = details.exitCode;
    this.signal = details.signal;
    this.stderrTail = details.stderrTail;
    this.stdout = details.stdout;
  }
}

/** True for the errors that mean "we could not get a working session at all" (CLI exit code 4). */
export function isConnectionError(err: unknown): err is SshUnreachableError | SshAuthError | SshHostKeyError {
  return err instanceof SshUnreachableError || err instanceof SshAuthError || err instanceof SshHostKeyError;
}
