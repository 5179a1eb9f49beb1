import { spawn } from 'node:child_process';
import type { SshExecOptions, SshExecResult } from '../../backend/src/ssh/session.js';
import type { RemoteRunner } from '../../backend/src/ssh/runner.js';
import { SshCommandError } from '../../backend/src/ssh/errors.js';

/**
 * Runs the product's remote commands on this machine, as root, without SSH: the same shell, coreutils,
 * users and file system a server would use. For tests of what the commands do to files, where the
 * transport is beside the point and sharing the test host's sshd would only serialize the suites.
 */
export class LocalRunner implements RemoteRunner {
  execs = 0;
  constructor(readonly name = 'local') {}

  exec(argv: readonly string[], opts: SshExecOptions = {}): Promise<SshExecResult> {
    this.execs += 1;
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0]!, argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
      const out: Buffer[] = [];
      const err: Buffer[] = [];
      const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 60_000);
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => err.push(b));
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        const result = { stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8'), code: code ?? -1 };
        if (result.code !== 0 && !opts.allowFail) {
          reject(
            new SshCommandError(this.name, `${argv[0]} exited ${result.code}: ${result.stderr.slice(-400)}`, {
              exitCode: result.code,
              stderrTail: result.stderr.slice(-800),
              stdout: result.stdout.slice(0, 2000),
            }),
          );
        } else resolve(result);
      });
      child.stdin.on('error', () => {});
      child.stdin.end(opts.stdin ?? '');
    });
  }

  execScript(script: string, args: readonly string[] = [], opts: SshExecOptions = {}): Promise<SshExecResult> {
    return this.exec(['sh', '-c', script, 'sh', ...args], opts);
  }
}
