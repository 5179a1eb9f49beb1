import { expect } from 'chai';
import { spawn } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ABSENT,
  FileChangedError,
  decodeExact,
  readSnapshots,
  sha256Hex,
  writeFilesAtomically,
  type RemoteExec,
} from '../../backend/src/apply/remote-files.js';

// The scripts are plain POSIX sh; running them on this machine's own shell exercises exactly what runs over SSH.
const localShell: RemoteExec = {
  exec(argv, opts = {}) {
    return new Promise((resolve, reject) => {
      const child = spawn(argv[0] as string, argv.slice(1));
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d) => (stdout += d));
      child.stderr.on('data', (d) => (stderr += d));
      child.on('error', reject);
      child.on('close', (code) => resolve({ stdout, stderr, code: code ?? 1 }));
      child.stdin.end(opts.stdin ?? '');
    });
  },
};

describe('apply/remote-files (run on the local shell)', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'pp-files-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('snapshots bytes, mode and absence in one call', async () => {
    const a = join(dir, 'vhost.conf');
    const bytes = Buffer.from('A on\r\n\xe9 latin1 byte\nno final newline', 'latin1');
    writeFileSync(a, bytes);
    chmodSync(a, 0o600);
    writeFileSync(join(dir, 'empty'), '');
    const [snapA, snapMissing, snapEmpty] = await readSnapshots(localShell, [a, join(dir, 'missing'), join(dir, 'empty')]);
    expect(snapA?.bytes.equals(bytes)).to.equal(true);
    expect(snapA?.mode).to.equal('600');
    expect(snapA?.sha256).to.equal(sha256Hex(bytes));
    expect(snapMissing?.exists).to.equal(false);
    expect(snapMissing?.sha256).to.equal(ABSENT);
    expect(snapEmpty?.exists).to.equal(true);
    expect(snapEmpty?.bytes.length).to.equal(0);
    expect(decodeExact(bytes).encoding).to.equal('latin1');
    expect(Buffer.from(decodeExact(bytes).text, 'latin1').equals(bytes)).to.equal(true);
  });

  it('writes new content keeping mode, creates and deletes files', async () => {
    const a = join(dir, 'vhost.conf');
    writeFileSync(a, 'old\n');
    chmodSync(a, 0o640);
    const created = join(dir, '.htaccess');
    await writeFilesAtomically(localShell, [
      { path: a, bytes: Buffer.from('new\r\n'), expectSha256: sha256Hex('old\n') },
      { path: created, bytes: Buffer.from('X on\n'), expectSha256: ABSENT, createMode: '604' },
    ]);
    expect(readFileSync(a, 'utf8')).to.equal('new\r\n');
    expect((statSync(a).mode & 0o777).toString(8)).to.equal('640');
    expect((statSync(created).mode & 0o777).toString(8)).to.equal('604');
    await writeFilesAtomically(localShell, [{ path: created, bytes: undefined, expectSha256: undefined }]);
    expect(existsSync(created)).to.equal(false);
  });

  it('refuses every write when one file changed since the plan, and leaves all files alone', async () => {
    const a = join(dir, 'a.conf');
    const b = join(dir, 'b.conf');
    writeFileSync(a, 'a\n');
    writeFileSync(b, 'edited by someone else\n');
    let caught: unknown;
    try {
      await writeFilesAtomically(localShell, [
        { path: a, bytes: Buffer.from('A\n'), expectSha256: sha256Hex('a\n') },
        { path: b, bytes: Buffer.from('B\n'), expectSha256: sha256Hex('b\n') },
      ]);
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(FileChangedError);
    expect((caught as FileChangedError).path).to.equal(b);
    expect(readFileSync(a, 'utf8')).to.equal('a\n');
    expect(readFileSync(b, 'utf8')).to.equal('edited by someone else\n');
  });
});
