// The plesk stand-in's write paths behave like Plesk's: a reconfiguration that
// would break the web server is refused and rolled back, a good one is applied
// with a reload, and config-only fixture domains come and go with one reload.
// Changes the host: resets it before and after (run under /var/lock/pp-host.lock).
import { expect } from 'chai';
import { SshSession } from '../../backend/src/ssh/index.js';
import { DEMO, fetchThroughNginx, loadConnection, resetHost, whoami } from '../support/testhost.js';

describe('test host: plesk stand-in reconfiguration', function () {
  this.timeout(90_000);
  const domain = DEMO.domains.healthy;
  const conf = DEMO.confDir(domain);
  let ssh: SshSession;

  before(async () => {
    await resetHost();
    ssh = new SshSession(loadConnection(), { connectTimeoutMs: 10_000 });
  });
  after(async () => {
    ssh?.close();
    await resetHost();
  });

  const cat = async (file: string) => (await ssh.exec(['cat', file])).stdout;
  const write = (file: string, content: string) => ssh.exec(['sh', '-c', 'cat > "$1"', 'sh', file], { stdin: content });

  it('refuses a vhost.conf that Apache rejects, restores the generated files and keeps serving', async () => {
    const before = await cat(`${conf}/last_httpd.conf`);
    expect(before).to.not.contain('vhost.conf');
    const pidBefore = (await whoami(domain)).pid;

    await write(`${conf}/vhost.conf`, 'PassengerNoSuchDirective on\n');
    const res = await ssh.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', domain], { allowFail: true });
    expect(res.code).to.equal(1);
    expect(res.stderr).to.contain('apache2ctl -t').and.to.contain('PassengerNoSuchDirective');
    expect(await cat(`${conf}/last_httpd.conf`)).to.equal(before);
    // No reload happened, so the same process still answers.
    expect((await whoami(domain)).pid).to.equal(pidBefore);
    const test = await ssh.exec(['apache2ctl', '-t'], { allowFail: true });
    expect(test.code, test.stderr).to.equal(0);
  });

  it('includes a valid vhost.conf after reconfiguring, and the reload replaces the app process', async () => {
    const pidBefore = (await whoami(domain)).pid;
    await write(`${conf}/vhost.conf`, '# admin directives\nPassengerMinInstances 1\n');
    await ssh.exec(['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', domain]);
    const generated = await cat(`${conf}/last_httpd.conf`);
    expect(generated).to.contain(`Include "${conf}/vhost.conf"`);
    expect(generated).to.not.contain('vhost_ssl.conf');
    expect((await whoami(domain)).pid).to.not.equal(pidBefore);
  });

  it('honours PassengerStickySessions in a document root .htaccess without any reload', async () => {
    const multi = DEMO.domains.multi;
    const plain = await fetchThroughNginx(multi, '/whoami');
    expect(plain.headers['set-cookie'] ?? []).to.not.satisfy((c: string[]) => c.some((v) => v.startsWith('_passenger_route=')));
    await write(`${DEMO.documentRoot(multi)}/.htaccess`, 'PassengerStickySessions on\n');
    const sticky = await fetchThroughNginx(multi, '/whoami');
    expect(sticky.headers['set-cookie'] ?? []).to.satisfy((c: string[]) => c.some((v) => v.startsWith('_passenger_route=')));
  });

  it('adds and removes config-only fixture domains', async () => {
    const added = await ssh.exec(['plesk', 'standin', 'add-domains', '--count', '3', '--prefix', 'ppstandin']);
    expect(added.stdout).to.contain('Added 3');
    const names = ['ppstandin1.fixture.test', 'ppstandin2.fixture.test', 'ppstandin3.fixture.test'];
    try {
      const list = (await ssh.exec(['plesk', 'bin', 'domain', '--list'])).stdout.split('\n');
      expect(list).to.include.members([...names, ...DEMO.all]);
      for (const name of names) {
        const httpd = await cat(`${DEMO.confDir(name)}/last_httpd.conf`);
        expect(httpd).to.contain(`ServerName "${name}"`);
        expect(httpd).to.contain(`PassengerAppRoot "${DEMO.appRoot(name)}"`);
      }
      const info = await ssh.exec(['plesk', 'bin', 'domain', '--info', names[0]!]);
      expect(info.stdout).to.match(/^SSL\/TLS support: +On$/m);
    } finally {
      const removed = await ssh.exec(['plesk', 'standin', 'remove-domains', '--prefix', 'ppstandin']);
      expect(removed.stdout).to.contain('Removed 3');
    }
    const after = (await ssh.exec(['plesk', 'bin', 'domain', '--list'])).stdout.split('\n');
    expect(after).to.not.include.members([names[0]]);
    const gone = await ssh.exec(['test', '-e', DEMO.confDir(names[0]!)], { allowFail: true });
    expect(gone.code).to.equal(1);
    // The demo domains kept working through both reloads.
    expect((await whoami(DEMO.domains.multi)).appRoot).to.equal(DEMO.appRoot(DEMO.domains.multi));
  });
});
