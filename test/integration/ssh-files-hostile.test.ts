import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, lstatSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { expect } from 'chai';
import {
  GuardMismatchError,
  MAX_CONFIG_FILE_BYTES,
  readFiles,
  readFilesSettled,
  sha256Hex,
  UnsafeFileError,
  writeFiles,
} from '../../backend/src/ssh/files.js';
import { LocalRunner } from '../support/local-runner.js';

/**
 * What a hostile customer can plant in the folders they own, against the root-run file commands. The
 * tree is shaped like Plesk's: /…/vhosts/<domain>/ and below belong to the subscription's system user,
 * /…/vhosts/system/<domain>/conf/ to root. The customer is a real user of this machine.
 */
const CUSTOMER = 'pp-hostile-cust';
const SECRET = `root secret ${randomBytes(8).toString('hex')}`;

function sh(command: string): string {
  return execFileSync('sh', ['-c', command], { encoding: 'utf8' });
}

describe('remote file commands against a hostile customer tree (real users, real file system)', function () {
  this.timeout(120_000);
  if (process.getuid?.() !== 0) throw new Error('these tests act as root and create a customer user: run them as root');

  const base = `/var/lib/pp-hostile-${randomBytes(4).toString('hex')}`;
  const domainDir = `${base}/vhosts/cust.test`;
  const docroot = `${domainDir}/httpdocs/public`;
  const htaccess = `${docroot}/.htaccess`;
  const confDir = `${base}/vhosts/system/cust.test/conf`;
  const rootSecret = `${base}/root-secret`;
  const rootDir = `${base}/root-only`;
  const missingRootPath = `${base}/created-by-root`;
  const runner = new LocalRunner();
  let uid = 0;
  let gid = 0;

  const asCustomer = (command: string): string =>
    execFileSync('setpriv', [`--reuid=${uid}`, `--regid=${gid}`, '--clear-groups', 'sh', '-c', command], { encoding: 'utf8' });
  const fresh = (): void => {
    sh(`rm -rf ${docroot} && mkdir -p ${docroot}`);
    sh(`chown -R ${uid}:${gid} ${domainDir}`);
    asCustomer(`printf 'PassengerStickySessions off\\n' > ${htaccess}`);
  };
  const untouched = (): void => {
    expect(readFileSync(rootSecret, 'utf8'), 'root secret unchanged').to.equal(SECRET);
    expect(statSync(rootSecret).uid, 'root secret still root').to.equal(0);
    expect(statSync(rootSecret).mode & 0o777).to.equal(0o600);
    expect(existsSync(missingRootPath), 'no file created at the missing root path').to.equal(false);
    expect(readFileSync(`${rootDir}/.htaccess`, 'utf8')).to.equal('root only\n');
  };

  before(() => {
    sh(`id -u ${CUSTOMER} >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin ${CUSTOMER}`);
    uid = Number(sh(`id -u ${CUSTOMER}`).trim());
    gid = Number(sh(`id -g ${CUSTOMER}`).trim());
    mkdirSync(confDir, { recursive: true, mode: 0o755 });
    mkdirSync(domainDir, { recursive: true });
    sh(`chmod 755 ${base} ${base}/vhosts ${base}/vhosts/system`);
    writeFileSync(rootSecret, SECRET, { mode: 0o600 });
    mkdirSync(rootDir, { mode: 0o755 });
    writeFileSync(`${rootDir}/.htaccess`, 'root only\n', { mode: 0o644 });
    writeFileSync(`${confDir}/vhost.conf`, '# admin directives\n', { mode: 0o640 });
  });
  after(() => rmSync(base, { recursive: true, force: true }));
  beforeEach(fresh);

  it('reads and rewrites an ordinary .htaccess as its owner, keeping it theirs', async () => {
    const [file] = await readFiles(runner, [htaccess]);
    expect(file).to.include({ exists: true, content: 'PassengerStickySessions off\n', uid });
    await writeFiles(runner, [{ path: htaccess, content: 'PassengerStickySessions on\n', expectSha256: file!.sha256! }]);
    expect(readFileSync(htaccess, 'utf8')).to.equal('PassengerStickySessions on\n');
    expect(statSync(htaccess).uid).to.equal(uid);
  });

  it('creates a new file in a customer folder as the customer, and a root folder file as root with its mode kept', async () => {
    sh(`rm -f ${htaccess}`);
    await writeFiles(runner, [{ path: htaccess, content: 'x\n', expectSha256: 'absent' }]);
    expect(statSync(htaccess).uid).to.equal(uid);
    expect(statSync(htaccess).mode & 0o777).to.equal(0o644);
    await writeFiles(runner, [{ path: `${confDir}/vhost.conf`, content: 'PassengerMinInstances 1\n' }]);
    expect(statSync(`${confDir}/vhost.conf`).uid).to.equal(0);
    expect(statSync(`${confDir}/vhost.conf`).mode & 0o777).to.equal(0o640);
  });

  it('refuses a .htaccess that links to a root file: nothing read, nothing written through it', async () => {
    sh(`rm -f ${htaccess}`);
    asCustomer(`ln -s ${rootSecret} ${htaccess}`);
    const [settled] = await readFilesSettled(runner, [htaccess]);
    expect(settled).to.deep.include({ refusal: 'link' });
    expect(JSON.stringify(settled)).to.not.include(SECRET);
    await expectRefused(writeFiles(runner, [{ path: htaccess, content: 'PassengerStickySessions on\n' }]), 'link');
    expect(lstatSync(htaccess).isSymbolicLink()).to.equal(true);
    untouched();
  });

  it('refuses a .htaccess that links to a missing root path: root creates nothing', async () => {
    sh(`rm -f ${htaccess}`);
    asCustomer(`ln -s ${missingRootPath} ${htaccess}`);
    await expectRefused(writeFiles(runner, [{ path: htaccess, content: 'x\n', expectSha256: 'absent' }]), 'link');
    untouched();
  });

  it('refuses a linked document root (a link in a folder of the path), for reads and writes', async () => {
    sh(`rm -rf ${docroot}`);
    asCustomer(`ln -s ${rootDir} ${docroot}`);
    const [settled] = await readFilesSettled(runner, [htaccess]);
    expect(settled).to.deep.include({ refusal: 'link-in-path' });
    expect(JSON.stringify(settled)).to.not.include('root only');
    await expectRefused(writeFiles(runner, [{ path: htaccess, content: 'x\n' }]), 'link-in-path');
    untouched();
  });

  it('refuses a link among root-owned folders too (a linked conf folder)', async () => {
    const linked = `${base}/vhosts/system/linked.test`;
    sh(`ln -sfn ${rootDir} ${linked}`);
    try {
      const [settled] = await readFilesSettled(runner, [`${linked}/.htaccess`]);
      expect(settled).to.deep.include({ refusal: 'link-in-path' });
    } finally {
      sh(`rm -f ${linked}`);
    }
  });

  it('a hard link to a root file (where the kernel allows one) is neither shown nor written through', async () => {
    sh(`rm -f ${htaccess} && ln ${rootSecret} ${htaccess}`);
    const [settled] = await readFilesSettled(runner, [htaccess]);
    expect(settled).to.deep.include({ refusal: 'unreadable' });
    expect(JSON.stringify(settled)).to.not.include(SECRET);
    await writeFiles(runner, [{ path: htaccess, content: 'PassengerStickySessions on\n' }]);
    expect(readFileSync(htaccess, 'utf8')).to.equal('PassengerStickySessions on\n');
    sh(`rm -f ${htaccess}`);
    untouched();
  });

  it('refuses a FIFO without hanging, and a 450 MB sparse file without reading it', async () => {
    sh(`rm -f ${htaccess}`);
    asCustomer(`mkfifo ${htaccess}`);
    const started = Date.now();
    expect((await readFilesSettled(runner, [htaccess]))[0]).to.deep.include({ refusal: 'not-regular' });
    await expectRefused(writeFiles(runner, [{ path: htaccess, content: 'x\n' }]), 'not-regular');
    sh(`rm -f ${htaccess}`);
    asCustomer(`truncate -s 450M ${htaccess}`);
    const [big] = await readFilesSettled(runner, [htaccess]);
    expect(big).to.deep.include({ refusal: 'too-large' });
    expect(Date.now() - started, 'answered at once').to.be.below(5_000);
    // One hostile file spoils no other: the conf file beside it in the same batch is read.
    const both = await readFilesSettled(runner, [htaccess, `${confDir}/vhost.conf`]);
    expect(both[1]).to.include({ exists: true });
    expect(MAX_CONFIG_FILE_BYTES).to.be.at.most(1024 * 1024);
  });

  it('refuses a root-owned folder others may write to', async () => {
    const shared = `${base}/shared`;
    mkdirSync(shared);
    sh(`chmod 1777 ${shared}`);
    await expectRefused(writeFiles(runner, [{ path: `${shared}/x.conf`, content: 'x\n' }]), 'shared-directory');
    expect(existsSync(`${shared}/x.conf`)).to.equal(false);
  });

  it('checks the guard hash in the same command as the rename: a changed file is left alone', async () => {
    const before = readFileSync(htaccess);
    asCustomer(`printf 'edited by the customer\\n' > ${htaccess}`);
    const err = await writeFiles(runner, [{ path: htaccess, content: 'ours\n', expectSha256: sha256Hex(before) }]).catch((e: unknown) => e);
    expect(err).to.be.instanceOf(GuardMismatchError);
    expect(readFileSync(htaccess, 'utf8')).to.equal('edited by the customer\n');
  });

  it('survives a customer flipping .htaccess between a file and links to root paths while root reads and writes', async () => {
    // The race harness: the customer swaps the name as fast as the shell can, for as long as we work.
    const flipper: ChildProcess = spawn(
      'setpriv',
      [
        `--reuid=${uid}`,
        `--regid=${gid}`,
        '--clear-groups',
        'sh',
        '-c',
        `i=0; while [ $i -lt 200000 ]; do i=$((i+1));
           ln -sfn ${rootSecret} ${htaccess}.l1 && mv -fT ${htaccess}.l1 ${htaccess};
           ln -sfn ${missingRootPath} ${htaccess}.l2 && mv -fT ${htaccess}.l2 ${htaccess};
           ln -sfn ${rootDir} ${docroot}.l3 2>/dev/null;
           printf 'plain\\n' > ${htaccess}.f && mv -fT ${htaccess}.f ${htaccess}; done`,
      ],
      { stdio: 'ignore' },
    );
    const outcomes = { written: 0, refused: 0, changed: 0, read: 0 };
    try {
      for (let round = 0; round < 60; round++) {
        for (const file of await readFilesSettled(runner, [htaccess])) {
          expect(JSON.stringify(file)).to.not.include(SECRET);
          if ('exists' in file && file.exists) outcomes.read += 1;
        }
        try {
          await writeFiles(runner, [{ path: htaccess, content: `round ${round}\n` }]);
          outcomes.written += 1;
        } catch (err) {
          if (err instanceof UnsafeFileError) outcomes.refused += 1;
          else if (err instanceof GuardMismatchError) outcomes.changed += 1;
          else throw err;
        }
        untouched();
      }
    } finally {
      flipper.kill('SIGKILL');
    }
    untouched();
    expect(outcomes.written + outcomes.refused + outcomes.changed).to.equal(60);
    // Shown for the record; any split is fine as long as root never acted outside the customer's tree.
    console.log(`      race: ${JSON.stringify(outcomes)}`);
  });
});

async function expectRefused(promise: Promise<unknown>, refusal: string): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err, 'refused').to.be.instanceOf(UnsafeFileError);
  expect((err as UnsafeFileError).refusal).to.equal(refusal);
}
