/**
 * A scripted server for unit tests of the change engine: an in-memory file tree behind the engine's
 * port (ServerOps), a config test that rejects what open source Passenger rejects in a vhost file
 * (the Enterprise-only PassengerMaxInstances), and faults queued per operation that fire on cue.
 * Every call is logged, so tests can assert order (no interleaving) and round trips.
 */
import type { FileState, ServerOps } from '../../backend/src/apply/server-ops.js';
import { ABSENT } from '../../backend/src/apply/server-ops.js';
import type { WebServer } from '../../backend/src/passenger/catalog.js';
import type { ConfigTestResult } from '../../backend/src/plesk/web-server.js';
import { WebServerError } from '../../backend/src/plesk/web-server.js';
import { GuardMismatchError, type RemoteFile, sha256Hex } from '../../backend/src/ssh/files.js';
import { SshUnreachableError } from '../../backend/src/ssh/errors.js';
import type { VerificationReport, VerifyOptions, VerifyTarget } from '../../backend/src/verify/verifier.js';

export type OpName = keyof Omit<ServerOps, 'name'>;

/** What a queued fault does when its operation is next called. */
export type Fault = 'pass' | 'drop' | 'fail' | 'hang' | 'down';

export class ScriptedServer implements ServerOps {
  readonly files = new Map<string, Buffer>();
  readonly calls: string[] = [];
  readonly running = new Set<WebServer>(['apache', 'nginx']);
  private instance = 1;
  private readonly faults = new Map<OpName, Fault[]>();
  /** Verification results in order; 'ok' when none is queued. */
  readonly verdicts: Array<'ok' | 'fail'> = [];

  constructor(readonly name = 'demo') {}

  /** The next call of `op` fails the given way (queued: several calls fail in turn). */
  failNext(op: OpName, fault: Fault = 'drop'): this {
    this.faults.set(op, [...(this.faults.get(op) ?? []), fault]);
    return this;
  }

  seed(path: string, text: string | null): this {
    if (text === null) this.files.delete(path);
    else this.files.set(path, Buffer.from(text, 'utf8'));
    return this;
  }

  snapshot(): Map<string, string> {
    return new Map([...this.files].map(([p, b]) => [p, b.toString('latin1')]));
  }

  private async step(op: OpName, detail = ''): Promise<void> {
    this.calls.push(detail ? `${op} ${detail}` : op);
    const queue = this.faults.get(op);
    const fault = queue?.shift();
    if (!fault) return;
    if (fault === 'drop') throw new SshUnreachableError(this.name, `connection to ${this.name} dropped (scripted)`);
    if (fault === 'hang') await new Promise(() => {});
    if (fault === 'down') this.running.delete('apache');
    if (fault === 'fail' && op === 'reload') {
      throw new WebServerError('web_server_reload', '`apache2ctl graceful` failed', 'scripted reload failure', 'check the server');
    }
    if (fault === 'fail' && op === 'startWebServer') {
      throw new WebServerError('web_server_down', 'apache stopped and could not be started', 'scripted', 'start it by hand');
    }
    if (fault === 'fail' && op === 'putFileStates') throw new Error('write failed: No space left on device (scripted)');
  }

  async readFiles(paths: readonly string[]): Promise<RemoteFile[]> {
    await this.step('readFiles', String(paths.length));
    return paths.map((path) => {
      const bytes = this.files.get(path);
      return {
        path,
        exists: bytes !== undefined,
        bytes: bytes ?? Buffer.alloc(0),
        content: bytes?.toString('utf8') ?? '',
        sha256: bytes ? sha256Hex(bytes) : undefined,
        mode: bytes ? '644' : undefined,
        uid: bytes ? 0 : undefined,
        gid: bytes ? 0 : undefined,
      };
    });
  }

  async putFileStates(states: readonly FileState[]): Promise<Record<string, string>> {
    await this.step('putFileStates', states.map((s) => s.path).join(' '));
    for (const s of states) {
      const now = this.files.get(s.path);
      const nowSha = now === undefined ? ABSENT : sha256Hex(now);
      // As the real write does: a guard that no longer matches stops the write at that file.
      if (s.expectSha256 !== undefined && s.expectSha256 !== nowSha) throw new GuardMismatchError(this.name, s.path, nowSha);
      if (s.bytes === undefined) this.files.delete(s.path);
      else this.files.set(s.path, Buffer.from(s.bytes));
    }
    return Object.fromEntries(states.map((s) => [s.path, s.bytes === undefined ? ABSENT : sha256Hex(s.bytes)]));
  }

  async regenerate(domains: readonly string[]): Promise<void> {
    await this.step('regenerate', domains.join(' '));
    this.instance += 1;
  }

  async configTest(servers: readonly WebServer[]): Promise<ConfigTestResult> {
    const queued = this.faults.get('configTest')?.[0];
    await this.step('configTest', servers.join(' '));
    const bad = [...this.files].find(([p, b]) => p.endsWith('.conf') && /PassengerMaxInstances\b/.test(b.toString('latin1')));
    if (queued === 'fail' || bad) {
      return { ok: false, output: `apache2ctl -t -> exit 1: AH00526: Syntax error in ${bad?.[0] ?? 'vhost.conf'}: PassengerMaxInstances` };
    }
    return { ok: true, output: 'apache2ctl -t -> exit 0: Syntax OK' };
  }

  async reload(server: WebServer): Promise<void> {
    await this.step('reload', server);
    this.instance += 1;
  }

  async passengerInstance(): Promise<string | undefined> {
    await this.step('passengerInstance');
    return this.running.has('apache') ? `inst-${this.instance}` : undefined;
  }

  async webServerUp(server: WebServer): Promise<boolean> {
    await this.step('webServerUp', server);
    return this.running.has(server);
  }

  async startWebServer(server: WebServer): Promise<void> {
    await this.step('startWebServer', server);
    this.running.add(server);
    this.instance += 1;
  }

  async verify(target: VerifyTarget, options: VerifyOptions): Promise<VerificationReport> {
    await this.step('verify', target.domain);
    const ok = (this.verdicts.shift() ?? 'ok') === 'ok';
    const now = new Date().toISOString();
    const checks = [
      { check: 'restart' as const, ok: true, summary: 'restarted in 0.2 s' },
      { check: 'probe' as const, ok, summary: ok ? '0 of 10 rounds got 400' : '4 of 10 rounds got 400' },
    ];
    options.events?.({
      at: now,
      step: 'verify.verdict',
      status: ok ? 'ok' : 'fail',
      message: ok ? 'verified' : 'failed',
      domain: target.domain,
    });
    return {
      domain: target.domain,
      ok,
      verdict: ok ? 'verified' : 'failed',
      scheme: options.scheme ?? 'https',
      cookieMode: 'browser',
      startedAt: now,
      finishedAt: now,
      checks,
      events: [],
    };
  }
}
