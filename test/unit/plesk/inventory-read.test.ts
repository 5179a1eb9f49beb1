/**
 * The inventory read's decoding and interpretation, driven by streams captured from the test host
 * (test/fixtures/plesk/README.md) plus hand-made odd inputs.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { buildServerInventory } from '../../../backend/src/plesk/inventory-builder.js';
import {
  INVENTORY_BEGIN,
  INVENTORY_END,
  InventoryReadError,
  inventoryCommand,
  parseGeneratedGrep,
  parseInventoryOutput,
  sparseText,
} from '../../../backend/src/plesk/inventory-script.js';

function fixture(name: string): string {
  return readFileSync(fileURLToPath(new URL(`../../../../test/fixtures/plesk/${name}`, import.meta.url)), 'utf8');
}

const SYSTEM = '/var/www/vhosts/system';

describe('plesk inventory read: decoding the one-exec stream', () => {
  it('builds one `sh -c` argv whose inputs are positional parameters', () => {
    const argv = inventoryCommand({ systemDir: "/srv/it's here" });
    expect(argv.slice(0, 2)).to.deep.equal(['sh', '-c']);
    expect(argv[4]).to.equal("/srv/it's here");
    // The script body never embeds the directory: it reads $1.
    expect(argv[2]).not.to.contain("it's here");
  });

  it('decodes the demo host capture: domains, commands, admin files, generated lines, globals', async () => {
    const raw = await parseInventoryOutput('demo', fixture('inventory-demo.out'));
    expect(raw.domains).to.deep.equal([
      'custompath.demo.test',
      'healthy.demo.test',
      'idle.demo.test',
      'multi.demo.test',
      'plainhttp.demo.test',
    ]);
    expect(raw.commands['domain-list']!.code).to.equal(0);
    expect(raw.commands['passenger-status']!.stdout.toString('latin1')).to.match(/^<\?xml[^>]*iso-8859-1/);
    expect(raw.files.has(`${SYSTEM}/multi.demo.test/conf/vhost_ssl.conf`)).to.equal(true);
    expect(raw.files.has(`${SYSTEM}/healthy.demo.test/conf/vhost.conf`)).to.equal(false);
    expect(raw.files.get(`${SYSTEM}/custompath.demo.test/conf/vhost.conf`)!.toString('utf8')).to.contain('\r\n');
    expect(raw.globalFiles).to.include('/etc/apache2/mods-enabled/passenger.load');
    const httpd = raw.generated.get(`${SYSTEM}/multi.demo.test/conf/last_httpd.conf`)!;
    expect(httpd.find((l) => /PassengerAppRoot/.test(l.text))).to.deep.include({
      text: '\tPassengerAppRoot "/var/www/vhosts/multi.demo.test/httpdocs"',
    });
    // Only the lines that matter travel; CustomLog is not one of them.
    expect(httpd.some((l) => /CustomLog/.test(l.text))).to.equal(false);
  });

  it('keeps odd files byte for byte: >100-character paths, CRLF, empty files, every byte value', async () => {
    const raw = await parseInventoryOutput('odd', fixture('inventory-odd-files.out'));
    const dir = [...raw.files.keys()][0]!.replace(/\/[^/]+$/, '');
    expect(dir.length).to.be.greaterThan(100);
    expect(raw.files.get(`${dir}/vhost.conf`)!.toString('latin1')).to.equal('PassengerMinInstances 3\r\n# comment\r\n');
    expect(raw.files.get(`${dir}/vhost_ssl.conf`)!.length).to.equal(0);
    expect([...raw.files.get(`${dir}/vhost_nginx.conf`)!]).to.deep.equal([...Array(256).keys()]);
    expect(raw.domains).to.have.length(1);
    // A command the script did not run has no exit code rather than a made-up one.
    expect(raw.commands['passenger-status']!.code).to.equal(undefined);
  });

  it('refuses a cut or garbled stream with an InventoryReadError', async () => {
    const full = fixture('inventory-demo.out');
    const refusal = async (stdout: string): Promise<unknown> =>
      parseInventoryOutput('demo', stdout).then(
        () => 'accepted',
        (err: unknown) => err,
      );
    expect(await refusal(full.slice(0, full.indexOf(INVENTORY_END))))
      .to.be.instanceOf(InventoryReadError)
      .with.property('message')
      .match(/markers missing/);
    const body = full.slice(full.indexOf('\n') + 1, full.indexOf(INVENTORY_END));
    const wrapped = (b: string): string => `${INVENTORY_BEGIN}\n${b}${INVENTORY_END}\n`;
    const damaged = wrapped(`${body.slice(0, 200)}${body.slice(400)}`);
    expect(await refusal(damaged))
      .to.be.instanceOf(InventoryReadError)
      .with.property('message')
      .match(/damaged archive/);
    expect(await refusal('')).to.be.instanceOf(InventoryReadError);
    // Cut short but still whole base64 quads: gzip's trailer check refuses it.
    const cut = body.replace(/\s+/g, '').slice(0, 4 * Math.floor(body.length / 8));
    expect(await refusal(wrapped(cut)))
      .to.be.instanceOf(InventoryReadError)
      .with.property('message')
      .match(/damaged archive/);
  });

  it('parses grep -n -H -Z lines, keeping colons and CR inside the text, and rebuilds sparse text with the same line numbers', () => {
    const grep = Buffer.from('/a/last_httpd.conf\x003:<VirtualHost 127.0.0.1:7080>\r\n/a/last_httpd.conf\x007:\tDocumentRoot "/x:y"\n');
    const lines = parseGeneratedGrep(grep).get('/a/last_httpd.conf')!;
    expect(lines).to.deep.equal([
      { line: 3, text: '<VirtualHost 127.0.0.1:7080>' },
      { line: 7, text: '\tDocumentRoot "/x:y"' },
    ]);
    expect(sparseText(lines).split('\n')).to.deep.equal(['', '', '<VirtualHost 127.0.0.1:7080>', '', '', '', '\tDocumentRoot "/x:y"']);
    expect(parseGeneratedGrep(Buffer.alloc(0)).size).to.equal(0);
  });
});

const demoRaw = await parseInventoryOutput('demo', fixture('inventory-demo.out'));

describe('plesk inventory read: building the server inventory from the demo capture', () => {
  const raw = demoRaw;
  const inv = buildServerInventory(raw, {
    server: 'demo',
    systemDir: SYSTEM,
    socketIoPaths: { 'custompath.demo.test': '/live/socket.io/' },
    readAt: new Date('2026-12-04T20:00:00Z'),
    execs: 1,
    ms: 500,
  });
  const domain = (name: string) => inv.domains.find((d) => d.name === name)!;

  it('reads Passenger in Apache, its version and the server-wide settings with file and line', () => {
    expect(inv.webServer).to.deep.equal({ apache: true, nginx: false });
    expect(inv.passengerVersion).to.equal('6.0.17');
    expect(inv.global.find((g) => g.key === 'passenger_pool_idle_time')).to.deep.include({
      value: 6,
      source: 'server',
      file: '/etc/apache2/conf-enabled/pp-testhost.conf',
      line: 5,
    });
    expect(inv.global.find((g) => g.key === 'passenger_sticky_sessions')).to.deep.include({ value: false, source: 'default' });
    expect(inv.read.warnings).to.deep.equal([]);
  });

  it('gives multi.demo.test its https value from vhost_ssl.conf and its http value from vhost.conf', () => {
    const d = domain('multi.demo.test');
    expect(d.effective.passenger_min_instances).to.deep.include({
      value: 2,
      source: 'domain',
      file: `${SYSTEM}/multi.demo.test/conf/vhost_ssl.conf`,
      line: 2,
    });
    expect(d.effectiveHttp.passenger_min_instances).to.deep.include({
      value: 2,
      source: 'domain',
      file: `${SYSTEM}/multi.demo.test/conf/vhost.conf`,
      line: 2,
    });
    expect(d.effective.passenger_app_root).to.deep.include({
      value: '/var/www/vhosts/multi.demo.test/httpdocs',
      source: 'domain',
      line: 40,
    });
    expect(d.processes.map((p) => p.pid)).to.have.length(2);
    expect(d.nodeVersion).to.equal('20');
  });

  it('sees plainhttp.demo.test as http only and the others as https', () => {
    expect(inv.domains.filter((d) => d.httpOnly).map((d) => d.name)).to.deep.equal(['plainhttp.demo.test']);
    expect(domain('plainhttp.demo.test').effective).to.equal(domain('plainhttp.demo.test').effectiveHttp);
  });

  it('reads custompath.demo.test: CRLF vhost.conf unchanged, commented directive ignored, custom Socket.IO path', () => {
    const d = domain('custompath.demo.test');
    const vhost = d.files.find((f) => f.kind === 'vhost')!;
    const bytes = raw.files.get(vhost.path)!;
    expect(vhost.content).to.equal(bytes.toString('utf8'));
    expect(vhost.sha256).to.equal(createHash('sha256').update(bytes).digest('hex'));
    expect(d.effectiveHttp.passenger_min_instances).to.deep.equal({ value: 1, source: 'default' });
    expect(d.socketIoPath).to.equal('/live/socket.io/');
    expect(domain('healthy.demo.test').socketIoPath).to.equal('/socket.io/');
  });

  it('allows .htaccess overrides where the vhost says AllowOverride All, and lists missing files as absent', () => {
    const d = domain('healthy.demo.test');
    expect(d.htaccessOverrides).to.equal(true);
    expect(d.files.map((f) => [f.kind, f.exists])).to.deep.equal([
      ['vhost', false],
      ['vhost_ssl', false],
      ['vhost_nginx', false],
      ['htaccess', true],
    ]);
    expect(d.files.find((f) => f.kind === 'htaccess')!.path).to.equal('/var/www/vhosts/healthy.demo.test/httpdocs/public/.htaccess');
  });

  it('reports a failed passenger-status as a warning, not as zero processes silently', () => {
    const broken = {
      ...raw,
      commands: {
        ...raw.commands,
        'passenger-status': { stdout: Buffer.alloc(0), stderr: 'ERROR: Phusion Passenger does not seem to be running.', code: 2 },
      },
    };
    const out = buildServerInventory(broken, { server: 'demo', systemDir: SYSTEM, readAt: new Date(), execs: 1, ms: 1 });
    expect(out.read.warnings.join('\n')).to.match(/passenger-status --show=xml failed \(exit 2\).*not seem to be running/);
  });
});
