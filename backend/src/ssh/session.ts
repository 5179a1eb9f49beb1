import { readFile } from 'node:fs/promises';
import { NodeSSH } from 'node-ssh';
import type { SshTarget } from '../config/types.js';
import { errorMessage } from '../errors.js';
import { SshAuthError, SshCommandError, SshHostKeyError, SshOutputTooLargeError, SshTimeoutError, SshUnreachableError } from './errors.js';
import { checkHostKey, hostKeyAlgorithmsFor, normalizeFingerprint, parseKnownHosts, type HostKeyPin } from './hostKeys.js';
import { shellQuote, shScript } from './quote.js';
import { describeCommand, tail, withRemoteDeadline } from './command-text.js';

export { describeCommand, withRemoteDeadline } from './command-text.js';

export type { SshTarget };

export interface SshTimeouts {
  /** TCP connect + SSH handshake + auth. */
  connectTimeoutMs: number;
  /** Default limit for one remote command; exec() can override it per call. */
  commandTimeoutMs: number;
}

export interface SshSessionOptions extends SshTimeouts {
  /** Channels open at once on one connection; OpenSSH refuses more than MaxSessions (10 by default). */
  maxChannels: number;
  logger?: SshLogger | undefined;
}

/** The subset of pino's Logger the SSH layer uses (never given secrets). */
export interface SshLogger {
  debug(obj: object, msg?: string): void;
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export const DEFAULT_SSH_OPTIONS: SshSessionOptions = {
  connectTimeoutMs: 10_000,
  commandTimeoutMs: 60_000,
  maxChannels: 8,
};

export interface SshExecOptions {
  /** Written to the command's stdin, then stdin is closed. Binary-safe when given a Buffer. */
  stdin?: string | Buffer;
  timeoutMs?: number;
  /** Return non-zero exits instead of throwing SshCommandError. */
  allowFail?: boolean;
  /** Most bytes of stdout taken before the command is stopped with SshOutputTooLargeError (default 256 MiB). */
  maxOutputBytes?: number;
}

export interface SshExecResult {
  stdout: string;
  stderr: string;
  /** Exit status; -1 when the command was killed by a signal. */
  code: number;
}

const STDERR_TAIL_CHARS = 800;

/** Default cap on one command's stdout: far above any inventory, far below what would exhaust memory. */
export const MAX_OUTPUT_BYTES = 256 * 1024 * 1024;

interface SshErrorLike {
  message?: string;
  level?: string;
  code?: string;
}

/**
 * One SSH connection to one server, reused for every command. It connects lazily, reconnects when the
 * connection dropped between commands (a command that was already sent is never re-run), bounds the
 * number of channels open at once, and counts commands and connects for benchmarks and tests.
 */
export class SshSession {
  readonly target: SshTarget;
  private readonly options: SshSessionOptions;
  private ssh: NodeSSH | undefined;
  private connecting: Promise<NodeSSH> | undefined;
  private openChannels = 0;
  private readonly waiting: (() => void)[] = [];
  private closed = false;
  /** Remote commands started on this session (each one is a round trip). */
  execCount = 0;
  /** SSH connections opened (1 while the connection survives; more after reconnects). */
  connectCount = 0;
  /** Fingerprint of the host key accepted on the last connect. */
  hostKeyFingerprint: string | undefined;

  constructor(target: SshTarget, options: Partial<SshSessionOptions> = {}) {
    this.target = { ...target };
    this.options = { ...DEFAULT_SSH_OPTIONS, ...options };
  }

  get name(): string {
    return this.target.name;
  }

  isConnected(): boolean {
    return this.ssh?.isConnected() ?? false;
  }

  /** Opens the connection if it is not open; concurrent callers share one attempt. */
  async connect(): Promise<void> {
    await this.connection();
  }

  private async connection(): Promise<NodeSSH> {
    if (this.closed) throw new SshUnreachableError(this.target.name, `session to ${this.target.name} was closed`);
    if (this.ssh?.isConnected()) return this.ssh;
    if (!this.connecting) {
      this.connecting = this.openConnection().finally(() => {
        this.connecting = undefined;
      });
    }
    return this.connecting;
  }

  private async loadPin(): Promise<HostKeyPin> {
    const { name, host, port, hostKeyFingerprint, knownHostsPath } = this.target;
    const pin: HostKeyPin = { host, port, knownHostsPath };
    if (hostKeyFingerprint !== undefined) {
      pin.fingerprint = normalizeFingerprint(hostKeyFingerprint);
      if (!pin.fingerprint) {
        throw new SshHostKeyError(
          name,
          `server ${name}: hostKeyFingerprint "${hostKeyFingerprint}" is not a SHA256:<base64> fingerprint`,
          undefined,
          {
            hint: 'copy it from `ssh-keygen -lf <(ssh-keyscan -p PORT HOST)`',
          },
        );
      }
    }
    if (knownHostsPath !== undefined) {
      let text: string;
      try {
        text = await readFile(knownHostsPath, 'utf8');
      } catch (err) {
        throw new SshHostKeyError(name, `server ${name}: cannot read known_hosts file ${knownHostsPath}: ${errorMessage(err)}`, undefined, {
          cause: err,
        });
      }
      pin.knownHosts = parseKnownHosts(text);
    }
    return pin;
  }

  private async openConnection(): Promise<NodeSSH> {
    const { name, host, port, username, privateKeyPath } = this.target;
    const where = `${username}@${host}:${port}`;
    const pin = await this.loadPin();
    let privateKey: string;
    try {
      privateKey = await readFile(privateKeyPath, 'utf8');
    } catch (err) {
      throw new SshAuthError(name, `server ${name}: cannot read private key ${privateKeyPath}: ${errorMessage(err)}`, {
        cause: err,
        hint: 'check privateKeyPath in the server config',
      });
    }

    let rejection: { fingerprint: string; reason: string } | undefined;
    let accepted: string | undefined;
    const ssh = new NodeSSH();
    const algorithms = hostKeyAlgorithmsFor(pin);
    try {
      await ssh.connect({
        host,
        port,
        username,
        privateKey,
        readyTimeout: this.options.connectTimeoutMs,
        // Keepalives notice a dead peer between commands, so the next exec reconnects instead of hanging.
        keepaliveInterval: 15_000,
        keepaliveCountMax: 3,
        ...(algorithms ? { algorithms: { serverHostKey: algorithms } } : {}),
        hostVerifier: (key: Buffer) => {
          const decision = checkHostKey(pin, key);
          if (decision.ok) accepted = decision.fingerprint;
          else rejection = decision;
          return decision.ok;
        },
      });
    } catch (err) {
      ssh.dispose();
      throw this.connectError(err, where, rejection);
    }
    const client = ssh.connection;
    if (!client) throw new SshUnreachableError(name, `connection to ${where} closed right after the handshake`);
    // node-ssh only listens for 'error' while connecting; without our listener a later socket error would crash the process.
    client.on('error', (err: unknown) => {
      this.options.logger?.warn({ server: name, err: errorMessage(err) }, 'ssh connection error');
    });
    this.ssh = ssh;
    this.connectCount += 1;
    this.hostKeyFingerprint = accepted;
    this.options.logger?.debug({ server: name, where, hostKey: accepted, connects: this.connectCount }, 'ssh connected');
    return ssh;
  }

  private connectError(err: unknown, where: string, rejection: { fingerprint: string; reason: string } | undefined): Error {
    const name = this.target.name;
    if (rejection) {
      return new SshHostKeyError(name, `server ${name}: host key refused: ${rejection.reason}`, rejection.fingerprint, {
        cause: err,
        hint: 'if the server was legitimately re-keyed, verify the new fingerprint out of band and update hostKeyFingerprint / known_hosts',
      });
    }
    const e = (err ?? {}) as SshErrorLike;
    const message = e.message ?? String(err);
    if (e.level === 'client-authentication') {
      return new SshAuthError(name, `server ${name}: ${where} refused our key (${message})`, {
        cause: err,
        hint: `check that the public key of ${this.target.privateKeyPath} is in ~${this.target.username}/.ssh/authorized_keys on the server`,
      });
    }
    if (/privateKey|private key|passphrase/i.test(message)) {
      return new SshAuthError(name, `server ${name}: cannot use private key ${this.target.privateKeyPath}: ${message}`, {
        cause: err,
        hint: 'use an unencrypted OpenSSH or PEM private key',
      });
    }
    if (e.level === 'client-timeout' || e.code === 'ETIMEDOUT') {
      return new SshUnreachableError(name, `server ${name}: no SSH handshake with ${where} within ${this.options.connectTimeoutMs} ms`, {
        cause: err,
        hint: 'check that the host is up, the port is right and no firewall drops the traffic',
      });
    }
    return new SshUnreachableError(name, `server ${name}: cannot connect to ${where}: ${e.code ? `${e.code} ` : ''}${message}`, {
      cause: err,
      hint: 'check host and port in the server config and that sshd is running',
    });
  }

  private async acquireChannel(): Promise<void> {
    if (this.openChannels < this.options.maxChannels) {
      this.openChannels += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private releaseChannel(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.openChannels -= 1;
  }

  /**
   * Runs one command given as an argument list (quoted by shellQuote, never a raw string).
   * Throws SshCommandError on a non-zero exit unless allowFail, SshTimeoutError past the time limit.
   */
  async exec(argv: readonly string[], opts: SshExecOptions = {}): Promise<SshExecResult> {
    const timeoutMs = opts.timeoutMs ?? this.options.commandTimeoutMs;
    const command = shellQuote(withRemoteDeadline(argv, timeoutMs));
    await this.acquireChannel();
    try {
      const ssh = await this.connection();
      this.execCount += 1;
      const started = performance.now();
      try {
        const result = await this.run(ssh, command, argv, { ...opts, timeoutMs });
        this.options.logger?.debug(
          { server: this.target.name, cmd: describeCommand(argv), code: result.code, ms: Math.round(performance.now() - started) },
          'ssh exec',
        );
        return result;
      } catch (err) {
        this.options.logger?.debug(
          { server: this.target.name, cmd: describeCommand(argv), err: errorMessage(err), ms: Math.round(performance.now() - started) },
          'ssh exec failed',
        );
        throw err;
      }
    } finally {
      this.releaseChannel();
    }
  }

  /** Runs a shell script as `sh -c <script> sh args...`; the script reads its inputs as "$1", "$2", ... */
  async execScript(script: string, args: readonly string[] = [], opts: SshExecOptions = {}): Promise<SshExecResult> {
    return this.exec(shScript(script, args), opts);
  }

  private async run(ssh: NodeSSH, command: string, argv: readonly string[], opts: SshExecOptions): Promise<SshExecResult> {
    const name = this.target.name;
    const timeoutMs = opts.timeoutMs ?? this.options.commandTimeoutMs;
    const stdoutChunks: Buffer[] = [];
    const stderrChunks: Buffer[] = [];
    let channel: { close(): void } | undefined;
    let timer: NodeJS.Timeout | undefined;
    // Memory stays bounded whatever a server prints (a customer's huge file read by mistake, a runaway loop):
    // past the cap the channel is closed and the command fails with a typed error.
    const maxBytes = opts.maxOutputBytes ?? MAX_OUTPUT_BYTES;
    let outBytes = 0;
    let stderrBytes = 0;
    let overflow: ((err: Error) => void) | undefined;
    const tooLarge = new Promise<never>((_, reject) => {
      overflow = reject;
    });
    tooLarge.catch(() => {});
    const stop = (): void => {
      try {
        channel?.close();
      } catch {
        // Already closed.
      }
    };

    const running = ssh.execCommand(command, {
      noTrim: true,
      onChannel: (ch) => {
        channel = ch as unknown as typeof channel;
        // Written here rather than via node-ssh's `stdin` option so Buffers pass unchanged; node-ssh ends stdin after this.
        if (opts.stdin !== undefined) ch.write(opts.stdin);
      },
      // Collect raw bytes and decode once: decoding chunk by chunk would break characters split across chunks.
      onStdout: (chunk) => {
        outBytes += chunk.length;
        if (outBytes <= maxBytes) {
          stdoutChunks.push(chunk);
          return;
        }
        stop();
        overflow?.(
          new SshOutputTooLargeError(
            name,
            `server ${name}: \`${describeCommand(argv)}\` printed more than ${maxBytes} bytes; stopped`,
            maxBytes,
          ),
        );
      },
      // stderr is only ever shown as a tail: keep its first megabyte.
      onStderr: (chunk) => {
        stderrBytes += chunk.length;
        if (stderrBytes <= 1024 * 1024) stderrChunks.push(chunk);
      },
    });
    // If the timeout wins the race, a later failure of `running` must not surface as an unhandled rejection.
    running.catch(() => {});
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        // The remote `timeout` wrapper ends the processes; closing the channel frees our side now.
        stop();
        reject(
          new SshTimeoutError(name, `server ${name}: \`${describeCommand(argv)}\` did not finish within ${timeoutMs} ms`, timeoutMs, {
            hint: 'the server stops it within a few seconds; retry, or raise the timeout if the server is just slow',
          }),
        );
      }, timeoutMs);
    });

    let response: Awaited<typeof running>;
    try {
      response = await Promise.race([running, timedOut, tooLarge]);
    } catch (err) {
      if (err instanceof SshTimeoutError || err instanceof SshOutputTooLargeError) throw err;
      throw new SshUnreachableError(name, `server ${name}: could not run \`${describeCommand(argv)}\`: ${errorMessage(err)}`, {
        cause: err,
      });
    } finally {
      clearTimeout(timer);
    }

    const stdout = Buffer.concat(stdoutChunks).toString('utf8');
    const stderr = Buffer.concat(stderrChunks).toString('utf8');
    if (response.code === null && response.signal === null && !ssh.isConnected()) {
      throw new SshUnreachableError(name, `server ${name}: connection lost while running \`${describeCommand(argv)}\``, {
        hint: 'the command may or may not have completed; read the state back before retrying',
      });
    }
    const code = response.code ?? -1;
    if (code !== 0 && !opts.allowFail) {
      const how = response.signal ? `was killed by ${response.signal}` : `exited with code ${code}`;
      const stderrTail = tail(stderr, STDERR_TAIL_CHARS);
      throw new SshCommandError(
        name,
        `server ${name}: \`${describeCommand(argv)}\` ${how}${stderrTail ? `: ${stderrTail}` : ' (no stderr)'}`,
        { exitCode: code, signal: response.signal ?? undefined, stderrTail, stdout },
      );
    }
    return { stdout, stderr, code };
  }

  /** Closes the connection; a closed session refuses further commands. */
  close(): void {
    this.closed = true;
    this.ssh?.dispose();
    this.ssh = undefined;
  }

  /** Drops the connection but keeps the session usable (the next exec reconnects). Used by tests and after errors. */
  disconnect(): void {
    this.ssh?.dispose();
    this.ssh = undefined;
  }
}
