import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { expect } from 'chai';
import { integerOption, parseCommandArgs, stringListOption } from '../../../backend/src/cli/args.js';
import { ExitCode, exitCodeFor, UsageError } from '../../../backend/src/cli/exit-codes.js';
import { formatEvent, formatTable } from '../../../backend/src/cli/output.js';
import { runCli } from '../../../backend/src/cli/run.js';
import { ValidationError } from '../../../backend/src/errors.js';
import { createLogger, createServices, type ServiceOptions, webPanel } from '../../../backend/src/main.js';
import { SshAuthError, SshCommandError, SshHostKeyError, SshTimeoutError, SshUnreachableError } from '../../../backend/src/ssh/errors.js';

class Capture extends Writable {
  text = '';
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

describe('cli frame', () => {
  describe('argument parsing', () => {
    const specs = {
      server: { type: 'string' as const, description: 'server' },
      'dry-run': { type: 'boolean' as const, description: 'dry' },
      set: { type: 'string' as const, multiple: true, description: 'k=v' },
      concurrency: { type: 'string' as const, description: 'n' },
    };

    it('reads options, repeated options, positionals and the global ones', () => {
      const args = parseCommandArgs(['a.test', '--server', 'web1', '--dry-run', '--set', 'x=1', '--set=y=2', '--json'], specs);
      expect(args.positionals).to.deep.equal(['a.test']);
      expect(args.values).to.deep.include({ server: 'web1', 'dry-run': true, json: true });
      expect(stringListOption(args, 'set')).to.deep.equal(['x=1', 'y=2']);
    });

    it('refuses unknown options, missing values and out-of-range numbers as usage errors', () => {
      expect(() => parseCommandArgs(['--nope'], specs)).to.throw(UsageError, /Unknown option '--nope'/);
      expect(() => parseCommandArgs(['--server'], specs)).to.throw(UsageError, /--server/);
      expect(() => integerOption(parseCommandArgs(['--concurrency', '0'], specs), 'concurrency', { min: 1, max: 64 })).to.throw(
        UsageError,
        /from 1 to 64, got "0"/,
      );
      expect(() => integerOption(parseCommandArgs(['--concurrency', '2x'], specs), 'concurrency', { min: 1, max: 64 })).to.throw(
        UsageError,
      );
      expect(integerOption(parseCommandArgs(['--concurrency', '8'], specs), 'concurrency', { min: 1, max: 64 })).to.equal(8);
    });
  });

  describe('output', () => {
    it('fits a table with long cells into 100 columns, clipping with an ellipsis', () => {
      const rows = [{ d: 'a-very-long-domain-name-that-goes-on-and-on.example.test', v: 'at risk', f: 'x'.repeat(200), n: '12' }];
      const text = formatTable(
        [
          { header: 'DOMAIN', value: (r: (typeof rows)[0]) => r.d, minWidth: 20 },
          { header: 'VERDICT', value: (r) => r.v },
          { header: 'FINDING', value: (r) => r.f },
          { header: 'PROCS', value: (r) => r.n, align: 'right' as const },
        ],
        rows,
      );
      const lines = text.trimEnd().split('\n');
      expect(lines).to.have.length(2);
      for (const line of lines) expect(line.length).to.be.at.most(100);
      // The widest column gives way first; both long cells end up clipped, the short ones stay whole.
      expect(lines[1]).to.match(/^a-very-long-domain-name-\S*… +at risk +x+… +12$/);
      expect(lines[1]?.endsWith('12')).to.equal(true);
    });

    it('keeps remote control characters out of the terminal', () => {
      // ESC and the C1 CSI (0x9b) both start terminal escape sequences.
      const text = formatTable([{ header: 'X', value: (r: string) => r }], ['a\u001b[2Jb\r\nc\u009b2J']);
      expect(text).to.not.include('\u001b').and.not.include('\u009b').and.not.include('\r');
      expect(text.trimEnd().split('\n')).to.have.length(2);
      const line = formatEvent({ at: '2026-12-04T20:41:07.123Z', step: 'write', status: 'ok', message: 'two\nlines', domain: 'a.test' });
      expect(line).to.equal('20:41:07 ok  write        a.test  two lines');
    });
  });

  describe('exit codes', () => {
    it('maps each error class to its documented code', () => {
      expect(exitCodeFor(new ValidationError('bad'))).to.equal(ExitCode.refused);
      expect(exitCodeFor(new UsageError('bad'))).to.equal(2);
      expect(exitCodeFor(new SshUnreachableError('s', 'x'))).to.equal(4);
      expect(exitCodeFor(new SshAuthError('s', 'x'))).to.equal(4);
      expect(exitCodeFor(new SshHostKeyError('s', 'x', 'SHA256:x'))).to.equal(4);
      expect(exitCodeFor(new SshTimeoutError('s', 'x', 5))).to.equal(3);
      expect(exitCodeFor(new SshCommandError('s', 'x', { exitCode: 1, stderrTail: '', stdout: '' }))).to.equal(3);
      expect(exitCodeFor(new Error('boom'))).to.equal(3);
    });
  });

  describe('logger', () => {
    it('writes JSON lines and censors anything that could carry a secret', () => {
      const sink = new Capture();
      const logger = createLogger('info', sink);
      logger.info(
        { server: 'web1', privateKey: '-----BEGIN OPENSSH PRIVATE KEY-----', login: { password: 'hunter2', token: 'tok-123' } },
        'connected',
      );
      logger.debug({ server: 'web1' }, 'below the level');
      const lines = sink.text.trim().split('\n');
      expect(lines).to.have.length(1);
      const entry = JSON.parse(lines[0] as string) as Record<string, unknown>;
      expect(entry).to.deep.include({
        msg: 'connected',
        server: 'web1',
        privateKey: '[redacted]',
        login: { password: '[redacted]', token: '[redacted]' },
      });
      expect(sink.text).to.not.contain('hunter2').and.not.contain('BEGIN OPENSSH').and.not.contain('tok-123');
    });
  });

  describe('runCli', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-cli-'));
    after(() => rmSync(dir, { recursive: true, force: true }));
    writeFileSync(join(dir, 'id'), 'key file only needs to exist here');
    const fp = 'SHA256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU';

    async function run(argv: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
      const stdout = new Capture();
      const stderr = new Capture();
      const code = await runCli(argv, {
        stdout,
        stderr,
        // No demo host here: the result must not depend on whether the test host is set up.
        createServices: (options: ServiceOptions) =>
          createServices({ ...options, demoConnectionPath: join(dir, 'none.json'), logger: createLogger('silent'), env: {} }),
        web: webPanel,
      });
      return { code, stdout: stdout.text, stderr: stderr.text };
    }

    it('lists servers from a config file as a table and as JSON', async () => {
      const config = join(dir, 'ok.json');
      writeFileSync(
        config,
        JSON.stringify({ servers: [{ name: 'web1', host: '192.0.2.1', privateKeyPath: 'id', hostKeyFingerprint: fp }] }),
      );
      const text = await run(['servers', '--config', config, '--data', join(dir, 'data')]);
      expect(text.code).to.equal(0);
      expect(text.stdout)
        .to.match(/^NAME\s+ADDRESS\s+HOST KEY PIN\s+SOURCE\n/)
        .and.contain('root@192.0.2.1:22');
      const json = await run(['servers', '--json', '--config', config, '--data', join(dir, 'data')]);
      expect(json.code).to.equal(0);
      expect(JSON.parse(json.stdout)).to.deep.equal({
        servers: [
          {
            name: 'web1',
            host: '192.0.2.1',
            port: 22,
            username: 'root',
            privateKeyPath: join(dir, 'id'),
            knownHostsPath: null,
            hostKeyFingerprint: fp,
            socketIoPaths: {},
            source: 'config',
          },
        ],
      });
    });

    it('adds and removes a stored server, refusing a bad definition with exit code 2', async () => {
      const data = ['--data', join(dir, 'data2')];
      expect((await run(['servers', 'add', 'web9', '--host', 'h9', '--key', join(dir, 'id'), '--fingerprint', fp, ...data])).code).to.equal(
        0,
      );
      const listed = JSON.parse((await run(['servers', '--json', ...data])).stdout) as { servers: { name: string; source: string }[] };
      expect(listed.servers.map((s) => `${s.name}:${s.source}`)).to.deep.equal(['web9:store']);
      const bad = await run(['servers', 'add', 'web8', '--host', 'h8', '--key', join(dir, 'id'), ...data]);
      expect(bad.code).to.equal(2);
      expect(bad.stderr).to.contain('server.hostKeyFingerprint: pin the host key');
      expect((await run(['servers', 'remove', 'web9', ...data])).code).to.equal(0);
      const gone = await run(['servers', 'remove', 'web9', '--json', ...data]);
      expect(gone.code).to.equal(2);
      expect(JSON.parse(gone.stdout)).to.deep.include({
        error: {
          code: 'invalid_input',
          message: 'unknown server "web9"',
          hint: 'add servers to the config file named by PASSENGER_PANEL_CONFIG (see backend/src/config/README.md), or set up the demo host with `bash test/host/setup.sh`',
          field: 'server',
        },
      });
    });

    it('refuses a bad config file with exit code 2 and names the field', async () => {
      const config = join(dir, 'bad.json');
      writeFileSync(
        config,
        JSON.stringify({ servers: [{ name: 'web1', host: 'h', port: 0, privateKeyPath: 'id', hostKeyFingerprint: fp }] }),
      );
      const result = await run(['servers', '--config', config, '--data', join(dir, 'data')]);
      expect(result.code).to.equal(2);
      expect(result.stderr).to.contain('servers[0].port');
    });

    it('answers help, unknown commands and unknown options', async () => {
      const help = await run(['help']);
      expect(help.code).to.equal(0);
      expect(help.stdout).to.contain('servers').and.contain('Exit codes:').and.contain('4  a server could not be reached');
      expect((await run(['servers', '--help'])).stdout).to.contain('Usage: passenger-panel servers [--check] [--json]');
      expect((await run([])).code).to.equal(0);
      const unknown = await run(['frobnicate']);
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.contain('unknown command "frobnicate"');
      expect((await run(['servers', '--frob'])).code).to.equal(2);
      expect((await run(['help', 'frobnicate'])).code).to.equal(2);
    });
  });
});
