import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import type { ServerConfig } from '../../backend/src/config/types.js';
import {
  readFiles,
  readFilesSettled,
  SshOutputTooLargeError,
  UnsafeFileError,
  SessionPool,
  SshAuthError,
  SshCommandError,
  SshHostKeyError,
  SshSession,
  SshTimeoutError,
  SshUnreachableError,
  writeFiles,
} from '../../backend/src/ssh/index.js';

const connectionPath = fileURLToPath(new URL('../../../test/host/.state/connection.json', import.meta.url));

function demoServer(): ServerConfig {
  if (!existsSync(connectionPath)) {
    throw new Error(`the test host is not set up (${connectionPath} is missing): run \`bash test/host/setup.sh\` as root`);
  }
  return JSON.parse(readFileSync(connectionPath, 'utf8')) as ServerConfig;
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the promise to be rejected');
}

/** A free loopback port: bind to 0, note the port, close. */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('ssh against the test host', function () {
  this.timeout(60_000);
  const demo = demoServer();
  const work = mkdtempSync(join(tmpdir(), 'pp-ssh-it-'));
  const sessions: SshSession[] = [];
  const open = (target: ServerConfig, options: ConstructorParameters<typeof SshSession>[1] = {}) => {
    const s = new SshSession(target, { connectTimeoutMs: 5_000, ...options });
    sessions.push(s);
    return s;
  };
  after(() => {
    for (const s of sessions) s.close();
    rmSync(work, { recursive: true, force: true });
  });

  it('connects with the pinned key (known_hosts and fingerprint) and runs a command from an argv', async () => {
    const session = open(demo);
    const { stdout, code } = await session.exec(['printf', '%s|', "it's", '$(id -u)', '', 'two\nlines']);
    expect(code).to.equal(0);
    expect(stdout).to.equal("it's|$(id -u)||two\nlines|");
    expect(session.hostKeyFingerprint).to.equal(demo.hostKeyFingerprint);
    const onlyKnownHosts = open({ ...demo, hostKeyFingerprint: undefined });
    expect((await onlyKnownHosts.exec(['id', '-un'])).stdout.trim()).to.equal(demo.username);
    const onlyFingerprint = open({ ...demo, knownHostsPath: undefined });
    expect((await onlyFingerprint.exec(['true'])).code).to.equal(0);
  });

  it('refuses a wrong fingerprint and a changed known_hosts key, naming the presented fingerprint', async () => {
    const wrong = 'SHA256:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA';
    const byFingerprint = await rejection(open({ ...demo, knownHostsPath: undefined, hostKeyFingerprint: wrong }).exec(['true']));
    expect(byFingerprint).to.be.instanceOf(SshHostKeyError);
    expect(byFingerprint.message).to.contain(`presented ${demo.hostKeyFingerprint}`).and.contain(wrong);
    expect((byFingerprint as SshHostKeyError).presentedFingerprint).to.equal(demo.hostKeyFingerprint);

    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'impostor')]);
    const impostorKey = readFileSync(join(work, 'impostor.pub'), 'utf8').split(' ').slice(0, 2).join(' ');
    writeFileSync(join(work, 'known_hosts_changed'), `[${demo.host}]:${demo.port} ${impostorKey}\n`);
    const changed = await rejection(
      open({ ...demo, hostKeyFingerprint: undefined, knownHostsPath: join(work, 'known_hosts_changed') }).exec(['true']),
    );
    expect(changed).to.be.instanceOf(SshHostKeyError);
    expect(changed.message)
      .to.contain(demo.hostKeyFingerprint as string)
      .and.contain('host key changed');

    writeFileSync(join(work, 'known_hosts_other_host'), `[${demo.host}]:${demo.port + 1} ${impostorKey}\n`);
    const unknown = await rejection(
      open({ ...demo, hostKeyFingerprint: undefined, knownHostsPath: join(work, 'known_hosts_other_host') }).exec(['true']),
    );
    expect(unknown).to.be.instanceOf(SshHostKeyError);
    expect(unknown.message)
      .to.contain('has no key for this host')
      .and.contain(demo.hostKeyFingerprint as string);
  });

  it('reports a key the server does not accept as an auth error', async () => {
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', join(work, 'stranger')]);
    const err = await rejection(open({ ...demo, privateKeyPath: join(work, 'stranger') }).exec(['true']));
    expect(err).to.be.instanceOf(SshAuthError);
    expect(err.message).to.contain('refused our key');
    writeFileSync(join(work, 'garbage_key'), 'this is not a key\n');
    expect(await rejection(open({ ...demo, privateKeyPath: join(work, 'garbage_key') }).exec(['true']))).to.be.instanceOf(SshAuthError);
  });

  it('reports a closed port and a silent port as unreachable', async () => {
    const closed = await rejection(open({ ...demo, port: await freePort() }).exec(['true']));
    expect(closed).to.be.instanceOf(SshUnreachableError);
    expect(closed.message).to.contain('ECONNREFUSED');

    // Accepts TCP but never speaks SSH: only the connect timeout can end this.
    const silent: Server = createServer(() => {});
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    try {
      const port = (silent.address() as { port: number }).port;
      const err = await rejection(open({ ...demo, port }, { connectTimeoutMs: 1_000 }).exec(['true']));
      expect(err).to.be.instanceOf(SshUnreachableError);
      expect(err.message).to.contain('no SSH handshake').and.contain('1000 ms');
    } finally {
      silent.close();
    }
  });

  it('stops a command that prints more than the output cap, and keeps the connection usable', async () => {
    const session = open(demo);
    const err = await session.exec(['head', '-c', '5000000', '/dev/zero'], { maxOutputBytes: 1_000_000 }).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(SshOutputTooLargeError).with.property('maxBytes', 1_000_000);
    expect((await session.exec(['echo', 'still here'])).stdout).to.equal('still here\n');
  });

  it('times a command out, stops it on the server, and keeps the connection usable', async () => {
    const session = open(demo);
    const marker = `pp-timeout-${process.pid}-${Date.now()}`;
    const err = await rejection(session.exec(['sh', '-c', `sleep 30; echo ${marker}`], { timeoutMs: 1_000 }));
    expect(err).to.be.instanceOf(SshTimeoutError);
    expect(err.message).to.contain('did not finish within 1000 ms');
    // The remote deadline (timeout + grace) ends the script and its child sleep; poll, bounded.
    let running = true;
    for (let i = 0; i < 20 && running; i++) {
      await new Promise((r) => setTimeout(r, 500));
      // "[e]cho" matches the script's command line but not this pgrep's own (nor its wrappers').
      running = (await session.exec(['pgrep', '-f', `[e]cho ${marker}`], { allowFail: true })).code === 0;
    }
    expect(running, 'the timed-out command is still running on the server').to.equal(false);
    expect((await session.exec(['echo', 'still here'])).stdout).to.equal('still here\n');
    expect(session.connectCount).to.equal(1);
  });

  it('reports a failing command with its exit code and the tail of stderr', async () => {
    const session = open(demo);
    const err = await rejection(session.exec(['sh', '-c', 'echo out; echo first-line >&2; echo "last line: no such file" >&2; exit 3']));
    expect(err).to.be.instanceOf(SshCommandError);
    const e = err as SshCommandError;
    expect(e.exitCode).to.equal(3);
    expect(e.stdout).to.equal('out\n');
    expect(e.stderrTail).to.equal('first-line\nlast line: no such file');
    expect(e.message).to.contain('exited with code 3').and.contain('last line: no such file');
    const long = await rejection(
      session.exec(['sh', '-c', 'i=0; while [ $i -lt 400 ]; do echo "noise line $i" >&2; i=$((i+1)); done; echo THE-END >&2; exit 1']),
    );
    expect((long as SshCommandError).stderrTail.length).to.be.at.most(801);
    expect((long as SshCommandError).stderrTail.endsWith('THE-END')).to.equal(true);
    const allowed = await session.exec(['sh', '-c', 'exit 5'], { allowFail: true });
    expect(allowed.code).to.equal(5);
  });

  it('reuses one connection per server for parallel commands and counts them', async () => {
    const pool = new SessionPool({ connectTimeoutMs: 5_000 });
    try {
      const results = await Promise.all(
        Array.from({ length: 20 }, (_, i) =>
          pool.get(demo).then((s) => s.exec(['sh', '-c', 'echo "$SSH_CLIENT"; echo "$1"', 'sh', String(i)])),
        ),
      );
      // $SSH_CLIENT is "client-ip client-port server-port": one client port = one TCP connection.
      const clientPorts = new Set(results.map((r) => r.stdout.split('\n')[0]?.split(' ')[1]));
      expect(clientPorts.size).to.equal(1);
      expect(results.map((r) => r.stdout.split('\n')[1])).to.deep.equal(Array.from({ length: 20 }, (_, i) => String(i)));
      expect(pool.execCount(demo.name)).to.equal(20);
      expect(pool.stats()).to.deep.equal([
        { server: demo.name, connected: true, execCount: 20, connectCount: 1, hostKeyFingerprint: demo.hostKeyFingerprint },
      ]);
    } finally {
      pool.closeAll();
    }
  });

  it('reconnects on the next command after the server dropped the connection', async () => {
    const session = open(demo);
    await session.exec(['true']);
    // Kill this connection's own sshd process (the nearest sshd ancestor), as a restart or network cut would.
    const killOwnSshd =
      'p=$$; while [ "$p" -gt 1 ]; do if [ "$(cat /proc/$p/comm)" = sshd ]; then kill "$p"; exit 0; fi; p=$(cut -d" " -f4 /proc/$p/stat); done; exit 9';
    const dropped = await rejection(session.exec(['sh', '-c', killOwnSshd]));
    expect(dropped).to.be.instanceOf(SshUnreachableError);
    expect(dropped.message).to.contain('connection lost');
    expect((await session.exec(['echo', 'back'])).stdout).to.equal('back\n');
    expect(session.connectCount).to.equal(2);
    expect(session.execCount).to.equal(3);
  });

  it('reads several files in one command and writes atomically, keeping mode, owner and bytes; refuses links', async () => {
    const session = open(demo);
    // A root-owned folder of its own: a folder others may write to (such as /tmp) is refused by design.
    const dir = (await session.exec(['mktemp', '-d', '/var/lib/pp-files-XXXXXX'])).stdout.trim();
    try {
      await session.exec([
        'sh',
        '-c',
        'printf "old" > "$1/kept" && chmod 600 "$1/kept" && chown nobody "$1/kept" && ln -s kept "$1/link"',
        'sh',
        dir,
      ]);
      const before = session.execCount;
      const content = 'line one\r\nl\u00edne two\twith tab\nno final newline';
      const hashes = await writeFiles(session, [
        { path: `${dir}/kept`, content },
        { path: `${dir}/new`, content: Buffer.from([0, 255, 10, 13]), modeIfNew: '640' },
      ]);
      const [kept, created, missing] = await readFiles(session, [`${dir}/kept`, `${dir}/new`, `${dir}/missing`]);
      expect(session.execCount - before).to.equal(2);
      expect(kept).to.deep.include({ content, mode: '600' });
      expect((await session.exec(['stat', '-c', '%U %F', `${dir}/kept`, `${dir}/link`])).stdout).to.equal(
        'nobody regular file\nroot symbolic link\n',
      );
      expect(created).to.deep.include({ exists: true, mode: '640', sha256: hashes[`${dir}/new`] });
      expect(created?.bytes.equals(Buffer.from([0, 255, 10, 13]))).to.equal(true);
      expect(missing).to.deep.include({ exists: false, sha256: undefined });

      const viaLink = await writeFiles(session, [{ path: `${dir}/link`, content: 'via link' }]).catch((e: unknown) => e);
      expect(viaLink).to.be.instanceOf(UnsafeFileError).with.property('refusal', 'link');
      const [linkRead] = await readFilesSettled(session, [`${dir}/link`]);
      expect(linkRead).to.deep.include({ refusal: 'link' });
      const [again] = await readFiles(session, [`${dir}/kept`]);
      expect(again?.content, 'the link target is untouched').to.equal(content);
      expect(again?.sha256).to.equal(hashes[`${dir}/kept`]);
      expect((await session.exec(['sh', '-c', 'ls -A "$1" | grep -c passenger-panel || true', 'sh', dir])).stdout.trim()).to.equal('0');
    } finally {
      await session.exec(['rm', '-rf', '--', dir]);
    }
  });
});
