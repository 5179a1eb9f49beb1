/** Effective values and their sources, from small configs shaped like the test host's files. */
import { expect } from 'chai';
import { parseApacheConfig } from '../../../backend/src/passenger/apache-parser.js';
import { parseNginxConfig } from '../../../backend/src/passenger/nginx-parser.js';
import { htaccessOverridesAllowed } from '../../../backend/src/plesk/domain-config.js';
import { readDirectiveValue, resolveEffective, type SourcedDirective } from '../../../backend/src/plesk/effective-settings.js';
import { CATALOG } from '../../../backend/src/passenger/catalog.js';
import { buildServerInventory } from '../../../backend/src/plesk/inventory-builder.js';
import type { RawInventory } from '../../../backend/src/plesk/inventory-script.js';

function layer(source: SourcedDirective['source'], text: string, file: string): SourcedDirective[] {
  return parseApacheConfig(text, { file }).directives.map((directive) => ({ directive, source }));
}

describe('plesk effective settings', () => {
  it('walks default -> server -> domain -> .htaccess, the later layer winning, with file and line', () => {
    const chain = [
      ...layer(
        'server',
        '<IfModule mod_passenger.c>\n  PassengerMinInstances 3\n  PassengerStickySessions on\n</IfModule>\n',
        '/etc/apache2/conf-enabled/x.conf',
      ),
      ...layer('domain', '# vhost\r\nPassengerMinInstances 2\r\n', '/v/vhost.conf'),
      ...layer('htaccess', 'PassengerStickySessions off\n', '/d/.htaccess'),
    ];
    const eff = resolveEffective('apache', chain, { htaccessOverrides: true });
    expect(eff.passenger_min_instances).to.deep.equal({
      value: 2,
      source: 'domain',
      file: '/v/vhost.conf',
      line: 2,
      raw: 'PassengerMinInstances 2',
    });
    expect(eff.passenger_sticky_sessions).to.deep.include({ value: false, source: 'htaccess', file: '/d/.htaccess', line: 1 });
    expect(eff.passenger_max_requests).to.deep.equal({ value: 0, source: 'default' });
  });

  it('ignores .htaccess when overrides are off, and ignores directives that have no effect there', () => {
    const ht = layer(
      'htaccess',
      'PassengerStickySessions on\nPassengerStickySessionsCookieAttributes "SameSite=Lax"\nPassengerMinInstances 4\n',
      '/d/.htaccess',
    );
    const off = resolveEffective('apache', ht, { htaccessOverrides: false });
    expect(off.passenger_sticky_sessions!.source).to.equal('default');
    const on = resolveEffective('apache', ht, { htaccessOverrides: true });
    expect(on.passenger_sticky_sessions).to.deep.include({ value: true, source: 'htaccess' });
    // Cookie attributes and min instances are not read from .htaccess by Passenger (field notes §2).
    expect(on.passenger_sticky_sessions_cookie_attributes).to.deep.equal({ value: 'SameSite=Lax; Secure;', source: 'default' });
    expect(on.passenger_min_instances!.source).to.equal('default');
  });

  it('reads nginx directives for nginx mode only, with nginx defaults', () => {
    const nginx = parseNginxConfig('passenger_enabled on;\npassenger_sticky_sessions on;\n', { file: '/v/vhost_nginx.conf' }).directives;
    const chain = nginx.map((directive) => ({ directive, source: 'domain' as const }));
    expect(resolveEffective('nginx', chain, { htaccessOverrides: false }).passenger_sticky_sessions).to.deep.include({
      value: true,
      line: 2,
    });
    expect(resolveEffective('apache', chain, { htaccessOverrides: false }).passenger_sticky_sessions!.source).to.equal('default');
    expect(resolveEffective('nginx', [], { htaccessOverrides: false }).passenger_enabled!.value).to.equal(false);
  });

  it('shows values as written even when the catalog would refuse to write them', () => {
    const spec = (key: string) => CATALOG.find((s) => s.key === key)!;
    expect(readDirectiveValue(spec('passenger_min_instances'), ['two'])).to.equal('two');
    expect(readDirectiveValue(spec('passenger_min_instances'), ['-1'])).to.equal(-1);
    expect(readDirectiveValue(spec('passenger_sticky_sessions'), ['On'])).to.equal(true);
    expect(readDirectiveValue(spec('passenger_sticky_sessions_cookie_attributes'), ['SameSite=Lax;', 'Secure;'])).to.equal(
      'SameSite=Lax; Secure;',
    );
  });

  it('decides .htaccess overrides from the longest <Directory> covering the document root', () => {
    const global = parseApacheConfig(
      '<Directory />\n  AllowOverride None\n</Directory>\n<Directory /var/www/>\n  AllowOverride None\n</Directory>\n',
      {
        file: '/etc/apache2/apache2.conf',
      },
    ).directives;
    const root = '/var/www/vhosts/a.test/httpdocs/public';
    expect(htaccessOverridesAllowed(root, global, [])).to.equal(false);
    const vhost = layer(
      'domain',
      `<VirtualHost *:80>\n<Directory "${root}">\nAllowOverride All\n</Directory>\n</VirtualHost>\n`,
      '/x/last_httpd.conf',
    );
    expect(htaccessOverridesAllowed(root, global, vhost)).to.equal(true);
    const sibling = layer('domain', '<Directory "/var/www/vhosts/b.test">\nAllowOverride All\n</Directory>\n', '/x/last_httpd.conf');
    expect(htaccessOverridesAllowed(root, global, sibling)).to.equal(false);
    expect(htaccessOverridesAllowed(root, [], [])).to.equal(false);
  });
});

describe('plesk inventory: a domain served by Passenger inside nginx (Plesk nginx-only mode)', () => {
  const conf = '/var/www/vhosts/system/n.test/conf';
  const lastNginx = [
    'server {',
    '\tlisten 10.0.0.1:443 ssl;',
    '\tserver_name n.test;',
    '\troot "/var/www/vhosts/n.test/httpdocs/public";',
    '\tpassenger_enabled on;',
    '\tpassenger_app_root "/var/www/vhosts/n.test/httpdocs";',
    '\tpassenger_nodejs "/opt/plesk/node/22/bin/node";',
    `\tinclude "${conf}/vhost_nginx.conf";`,
    '}',
  ];
  const raw: RawInventory = {
    refused: new Map(),
    domains: ['n.test'],
    commands: {
      'domain-list': { stdout: Buffer.from('n.test\n'), stderr: '', code: 0 },
      'passenger-status': { stdout: Buffer.alloc(0), stderr: 'not running', code: 1 },
    },
    files: new Map([
      [
        '/etc/nginx/conf.d/phusion-passenger.conf',
        Buffer.from('passenger_root /usr/lib/passenger/locations.ini;\npassenger_pool_idle_time 60;\n'),
      ],
      [`${conf}/vhost_nginx.conf`, Buffer.from('# admin\r\npassenger_sticky_sessions on;\r\n')],
    ]),
    generated: new Map([[`${conf}/last_nginx.conf`, lastNginx.map((text, i) => ({ line: i + 1, text }))]]),
    globalFiles: ['/etc/nginx/conf.d/phusion-passenger.conf'],
  };
  const inv = buildServerInventory(raw, { server: 's', systemDir: '/var/www/vhosts/system', readAt: new Date(), execs: 1, ms: 1 });
  const d = inv.domains[0]!;

  it('runs in nginx mode with nginx names, the server-wide value from the http context and the admin file spliced in', () => {
    expect(inv.webServer).to.deep.equal({ apache: false, nginx: true });
    expect(d.mode).to.equal('nginx');
    expect(d.https).to.equal(true);
    expect(d.htaccessOverrides).to.equal(false);
    expect(d.appRoot).to.equal('/var/www/vhosts/n.test/httpdocs');
    expect(d.nodeVersion).to.equal('22');
    expect(d.effective.passenger_sticky_sessions).to.deep.include({
      value: true,
      source: 'domain',
      file: `${conf}/vhost_nginx.conf`,
      line: 2,
    });
    expect(d.effective.passenger_pool_idle_time).to.deep.include({ value: 60, source: 'server', line: 2 });
    expect(inv.global.find((g) => g.key === 'passenger_pool_idle_time')).to.include({ name: 'passenger_pool_idle_time', server: 'nginx' });
  });

  it('says when processes could not be read, and notes the missing document root files', () => {
    expect(d.processes).to.deep.equal([]);
    expect(inv.read.warnings.join('\n')).to.match(/passenger-status --show=xml failed \(exit 1\)/);
    expect(d.files.find((f) => f.kind === 'vhost')!.exists).to.equal(false);
  });
});
