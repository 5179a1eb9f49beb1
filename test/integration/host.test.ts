// Proves the test host is what the other tests assume: over SSH the plesk stand-in
// answers in Plesk's forms, Passenger runs every demo app, and nginx serves each
// domain on exactly the schemes it should. Read-only: needs no lock and no reset.
import { expect } from 'chai';
import { SshSession } from '../../backend/src/ssh/index.js';
import { DEMO, demoDomainSpecs, fetchThroughNginx, loadConnection, whoami } from '../support/testhost.js';

type InfoSections = Record<string, Record<string, string>>;

// Plesk prints a title line, a line of '=' and then `Key:   value` lines per section.
function parseInfo(text: string): InfoSections {
  const sections: InfoSections = {};
  const lines = text.split('\n');
  let current: Record<string, string> | undefined;
  lines.forEach((line, i) => {
    if (/^=+$/.test(line)) {
      current = {};
      sections[lines[i - 1] ?? ''] = current;
      return;
    }
    const colon = line.indexOf(':');
    if (current && colon > 0 && !/^=+$/.test(lines[i + 1] ?? '')) {
      current[line.slice(0, colon).trim()] = line.slice(colon + 1).trim();
    }
  });
  return sections;
}

function groupPids(xml: string): Map<string, number[]> {
  const groups = new Map<string, number[]>();
  for (const chunk of xml.split('<group>').slice(1)) {
    const root = /<app_root>([^<]*)<\/app_root>/.exec(chunk)?.[1];
    if (!root) continue;
    const pids = [...chunk.matchAll(/<pid>(\d+)<\/pid>/g)].map((m) => Number(m[1]));
    groups.set(root, [...(groups.get(root) ?? []), ...pids]);
  }
  return groups;
}

describe('test host', function () {
  this.timeout(60_000);
  const specs = demoDomainSpecs();
  let ssh: SshSession;

  before(() => {
    ssh = new SshSession(loadConnection(), { connectTimeoutMs: 10_000 });
  });
  after(() => ssh?.close());

  it('declares the same demo domains in demo-domains.json and testhost.ts', () => {
    expect(specs.map((d) => d.name)).to.deep.equal([...DEMO.all]);
    expect(Object.values(DEMO.domains)).to.have.members([...DEMO.all]);
  });

  it('lists every demo domain with `plesk bin site --list` and `plesk bin domain --list` over SSH', async () => {
    for (const tool of ['site', 'domain']) {
      const res = await ssh.exec(['plesk', 'bin', tool, '--list']);
      const names = res.stdout.split('\n').filter(Boolean);
      expect(names, `plesk bin ${tool} --list`).to.include.members([...DEMO.all]);
    }
  });

  it('shows each demo domain in Plesk `--info` sections with its name, TLS support and web root', async () => {
    for (const spec of specs) {
      const res = await ssh.exec(['plesk', 'bin', 'domain', '--info', spec.name]);
      const info = parseInfo(res.stdout);
      expect(info, spec.name).to.have.all.keys('General', 'Hosting', 'Logrotation info');
      expect(info.General?.['Domain name']).to.equal(spec.name);
      expect(info.General?.['Domain ID']).to.match(/^\d+$/);
      expect(info.Hosting?.['Hosting type']).to.equal('Physical hosting');
      expect(info.Hosting?.['SSL/TLS support'], spec.name).to.equal(spec.https ? 'On' : 'Off');
      expect(info['Logrotation info']?.['--WWW-Root--']).to.equal(DEMO.appRoot(spec.name));
      // Plesk pads keys to one column: the value of a short key starts at column 41.
      expect(res.stdout).to.match(new RegExp(`^Domain name: {28}${spec.name.replace(/\./g, '\\.')}$`, 'm'));
    }
  });

  it('reports the Node.js version of the demo domains like `plesk ext nodejs`', async () => {
    const versions = await ssh.exec(['plesk', 'ext', 'nodejs', '--versions']);
    const first = versions.stdout.split('\n')[0]?.split('\t') ?? [];
    expect(first[0]).to.match(/^\d+\.\d+\.\d+$/);
    expect(first[1]).to.match(/^\/opt\/plesk\/node\/\d+\/bin\/node$/);
    const domainVersion = await ssh.exec(['plesk', 'ext', 'nodejs', '--get-version', '-domain', DEMO.domains.healthy]);
    expect(domainVersion.stdout.trim()).to.equal(first[0]);
  });

  it('fails with a non-zero exit and a message for unknown domains and options', async () => {
    const cases: string[][] = [
      ['plesk', 'bin', 'domain', '--info', 'nosuch.demo.test'],
      ['plesk', 'bin', 'domain', '--bogus'],
      ['plesk', 'bin', 'domain', '--list', '--bogus'],
      ['plesk', 'sbin', 'httpdmng', '--reconfigure-domain', 'nosuch.demo.test'],
      ['plesk', 'sbin', 'httpdmng', '--reconfigure-everything'],
      ['plesk', 'ext', 'nodejs', '--get-version', '-domain', 'nosuch.demo.test'],
      ['plesk', 'frobnicate'],
    ];
    for (const argv of cases) {
      const res = await ssh.exec(argv, { allowFail: true });
      expect(res.code, argv.join(' ')).to.not.equal(0);
      expect(res.stderr.trim(), argv.join(' ')).to.not.equal('');
    }
    const unknown = await ssh.exec(['plesk', 'bin', 'domain', '--info', 'nosuch.demo.test'], { allowFail: true });
    expect(unknown.stderr).to.contain('nosuch.demo.test');
  });

  it('runs every demo app under Passenger: passenger-status --show=xml over SSH lists their pids', async () => {
    // Retried because a reload by a parallel test replaces every pid at once.
    let lastProblem = '';
    for (let attempt = 0; attempt < 3; attempt++) {
      const answered = new Map<string, number>();
      for (const spec of specs) answered.set(spec.name, (await whoami(spec.name)).pid);
      const res = await ssh.exec(['passenger-status', '--show=xml']);
      expect(res.stdout).to.contain('<passenger_version>');
      const groups = groupPids(res.stdout);
      const problems: string[] = [];
      for (const spec of specs) {
        const pids = groups.get(DEMO.appRoot(spec.name)) ?? [];
        if (!pids.includes(answered.get(spec.name) ?? -1))
          problems.push(`${spec.name}: pid ${answered.get(spec.name)} not in [${pids.join(',')}]`);
        if (pids.length < spec.expectedProcesses) problems.push(`${spec.name}: ${pids.length} processes, want ${spec.expectedProcesses}`);
      }
      if (problems.length === 0) return;
      lastProblem = problems.join('; ');
      await new Promise((r) => setTimeout(r, 1000));
    }
    expect.fail(lastProblem);
  });

  it('serves every domain over http and only the https domains over https', async () => {
    for (const spec of specs) {
      const plain = await whoami(spec.name);
      expect(plain.appRoot, spec.name).to.equal(DEMO.appRoot(spec.name));
      expect(plain.host).to.equal(spec.name);
      const secure = await fetchThroughNginx(spec.name, '/whoami', { https: true });
      if (spec.https) {
        expect(secure.status, `${spec.name} over https`).to.equal(200);
        expect(JSON.parse(secure.body).appRoot).to.equal(DEMO.appRoot(spec.name));
      } else {
        // No https server block for it: nginx's catch-all answers, never the app.
        expect(secure.status, `${spec.name} over https`).to.equal(404);
        expect(secure.body).to.not.contain('"pid"');
      }
    }
    const generated = await ssh.exec(['cat', `${DEMO.confDir(DEMO.domains.plainhttp)}/last_httpd.conf`]);
    expect(generated.stdout).to.contain('<VirtualHost 127.0.0.1:7080>');
    expect(generated.stdout).to.not.contain(':7081');
  });

  it("answers an Engine.IO handshake on each domain's own Socket.IO path only", async () => {
    for (const spec of specs) {
      const res = await fetchThroughNginx(spec.name, `${spec.socketIoPath}?EIO=4&transport=polling`);
      expect(res.status, spec.name).to.equal(200);
      expect(res.body, spec.name).to.match(/^0\{"sid":"[^"]+","upgrades":\["websocket"\]/);
    }
    const wrongPath = await fetchThroughNginx(DEMO.domains.custompath, '/socket.io/?EIO=4&transport=polling');
    expect(wrongPath.status).to.equal(404);
  });
});
