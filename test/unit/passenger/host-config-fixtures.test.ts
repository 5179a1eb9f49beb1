import { expect } from 'chai';
import { parseApacheConfig } from '../../../backend/src/passenger/apache-parser.js';
import { parseNginxConfig } from '../../../backend/src/passenger/nginx-parser.js';
import { baseOfDomainFile, chooseDomainTarget, contextAt } from '../../../backend/src/passenger/placement.js';
import { lookupDirective } from '../../../backend/src/passenger/catalog.js';
import { managedBlockBody, removeManagedBlock, replaceManagedBlock } from '../../../backend/src/passenger/managed-block.js';
import { ValidationError } from '../../../backend/src/errors.js';
import { readFixture } from './fixture-path.js';

// Files captured from the test host (test/fixtures/config/host-*).
describe('config files from the test host', () => {
  it('reads custompath vhost.conf (CRLF, comments, <IfModule>) with no Passenger directive in it', () => {
    const text = readFixture('config/host-custompath-vhost.conf');
    expect(text).to.contain('\r\n');
    const parsed = parseApacheConfig(text, { file: 'vhost.conf' });
    expect(parsed.problems).to.deep.equal([]);
    expect(parsed.directives.map((d) => d.name)).to.deep.equal(['LimitRequestBody', 'Header', 'ServerSignature']);
    expect(parsed.directives.filter((d) => d.key)).to.deep.equal([]);
    expect(parsed.directives[1]!.blocks.map((b) => b.name)).to.deep.equal(['IfModule']);
    // Adding our block and removing it gives back the admin's file byte for byte.
    const added = replaceManagedBlock(text, ['PassengerStickySessions on']);
    expect(added.startsWith(text)).to.equal(true);
    expect(added.slice(text.length)).to.match(/^# BEGIN passenger-panel[^\n]*\r\nPassengerStickySessions on\r\n# END passenger-panel\r\n$/);
    expect(removeManagedBlock(added)).to.equal(text);
  });

  it('reads the demo vhost.conf files with their Passenger settings', () => {
    const multi = parseApacheConfig(readFixture('config/host-multi-vhost.conf'));
    expect(multi.directives.map((d) => [d.key, d.args])).to.deep.equal([['passenger_min_instances', ['2']]]);
    const idle = parseApacheConfig(readFixture('config/host-idle-vhost.conf'));
    expect(idle.directives.map((d) => [d.key, d.args])).to.deep.equal([['passenger_min_instances', ['0']]]);
    expect(managedBlockBody(readFixture('config/host-multi-vhost.conf'))).to.deep.equal([]);
  });

  it('reads a generated last_httpd.conf: app identity inside each <VirtualHost>, the include last', () => {
    const parsed = parseApacheConfig(readFixture('config/host-multi-last_httpd.conf'));
    expect(parsed.problems).to.deep.equal([]);
    const roots = parsed.directives.filter((d) => d.key === 'passenger_app_root');
    expect(roots.map((d) => d.args[0])).to.deep.equal([
      '/var/www/vhosts/multi.demo.test/httpdocs',
      '/var/www/vhosts/multi.demo.test/httpdocs',
    ]);
    expect(roots[0]!.blocks.map((b) => [b.name, b.args])).to.deep.equal([['VirtualHost', ['127.0.0.1:7080']]]);
    const allow = parsed.directives.find((d) => d.name === 'AllowOverride')!;
    expect(contextAt({ server: 'apache', base: 'server' }, allow.blocks)).to.deep.equal({ server: 'apache', context: 'directory' });
    expect(contextAt({ server: 'apache', base: 'server' }, roots[0]!.blocks)).to.deep.equal({ server: 'apache', context: 'vhost' });
  });

  it('reads the server-wide Passenger settings and places them in the server context', () => {
    const parsed = parseApacheConfig(readFixture('config/host-apache-global-passenger.conf'));
    const idle = parsed.directives.find((d) => d.key === 'passenger_pool_idle_time')!;
    expect(idle.args).to.deep.equal(['6']);
    expect(contextAt({ server: 'apache', base: 'server' }, idle.blocks).context).to.equal('server');
  });

  it('reads vhost_nginx.conf and a generated last_nginx.conf', () => {
    const own = parseNginxConfig(readFixture('config/host-custompath-vhost_nginx.conf'));
    expect(own.directives.map((d) => [d.name, d.args])).to.deep.equal([['add_header', ['X-Demo-Layer', 'nginx', 'always']]]);
    const gen = parseNginxConfig(readFixture('config/host-custompath-last_nginx.conf'));
    expect(gen.problems).to.deep.equal([]);
    const pass = gen.directives.find((d) => d.name === 'proxy_pass')!;
    expect(pass.blocks.map((b) => b.name)).to.deep.equal(['server', 'location']);
    expect(contextAt({ server: 'nginx', base: 'http' }, pass.blocks)).to.deep.equal({ server: 'nginx', context: 'location' });
  });

  it('reads the document root .htaccess files', () => {
    const parsed = parseApacheConfig(readFixture('config/host-custompath.htaccess'));
    expect(parsed.directives.map((d) => [d.name, d.args])).to.deep.equal([['Options', ['-Indexes']]]);
    expect(contextAt(baseOfDomainFile('htaccess'), []).context).to.equal('htaccess');
  });
});

describe('choosing the file a directive goes to', () => {
  const apache = { mode: 'apache', htaccessOverrides: true } as const;
  it('puts sticky sessions in .htaccess when overrides are on (no reload), else in both vhost files', () => {
    const sticky = lookupDirective('sticky_sessions')!;
    expect(chooseDomainTarget(sticky, apache)).to.deep.equal({
      files: ['htaccess'],
      placement: { server: 'apache', context: 'htaccess' },
      needsReload: false,
    });
    expect(chooseDomainTarget(sticky, { mode: 'apache', htaccessOverrides: false }).files).to.deep.equal(['vhost', 'vhost_ssl']);
    expect(chooseDomainTarget(sticky, { mode: 'nginx', htaccessOverrides: true })).to.deep.equal({
      files: ['vhost_nginx'],
      placement: { server: 'nginx', context: 'server' },
      needsReload: true,
    });
  });

  it('never chooses .htaccess for the cookie attributes, and refuses server-only and Enterprise directives', () => {
    expect(chooseDomainTarget(lookupDirective('sticky_sessions_cookie_attributes')!, apache).files).to.deep.equal(['vhost', 'vhost_ssl']);
    expect(chooseDomainTarget(lookupDirective('min_instances')!, apache).needsReload).to.equal(true);
    for (const key of ['pool_idle_time', 'max_pool_size', 'max_instances_per_app', 'max_instances', 'memory_limit']) {
      expect(() => chooseDomainTarget(lookupDirective(key)!, apache), key).to.throw(ValidationError);
      expect(() => chooseDomainTarget(lookupDirective(key)!, { mode: 'nginx', htaccessOverrides: false }), key).to.throw(ValidationError);
    }
  });
});
