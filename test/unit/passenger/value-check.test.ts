import { expect } from 'chai';
import { ValidationError } from '../../../backend/src/errors.js';
import { lookupDirective } from '../../../backend/src/passenger/catalog.js';
import {
  checkPlacement,
  checkValue,
  cookieAttributesHaveSecure,
  formatValue,
  parseValue,
  renderDirective,
  splitCookieAttributes,
} from '../../../backend/src/passenger/value-check.js';

const vhost = { server: 'apache', context: 'vhost' } as const;
const htaccess = { server: 'apache', context: 'htaccess' } as const;
const nginxServer = { server: 'nginx', context: 'server' } as const;

function refusal(fn: () => unknown): ValidationError {
  try {
    fn();
  } catch (err) {
    expect(err).to.be.instanceOf(ValidationError);
    return err as ValidationError;
  }
  throw new Error('expected a ValidationError, nothing was thrown');
}

describe('value checks', () => {
  it('parses booleans in the usual spellings and renders on/off for both servers', () => {
    for (const raw of ['on', 'On', 'TRUE', 'yes', '1', true]) {
      const v = checkValue('sticky_sessions', raw, htaccess);
      expect(v.value).to.equal(true);
      expect(renderDirective(v, 'apache')).to.equal('PassengerStickySessions on');
      expect(renderDirective(v, 'nginx')).to.equal('passenger_sticky_sessions on;');
    }
    expect(checkValue('PassengerStickySessions', 'off', vhost).value).to.equal(false);
    expect(refusal(() => checkValue('sticky_sessions', 'maybe', vhost)).message).to.contain('on or off');
  });

  it('checks integers against type and range', () => {
    expect(checkValue('min_instances', ' 2 ', vhost).value).to.equal(2);
    expect(checkValue('min_instances', 0, vhost).value).to.equal(0);
    expect(refusal(() => checkValue('min_instances', -1, vhost)).hint).to.contain('0 to 256');
    expect(refusal(() => checkValue('min_instances', '1.5', vhost)).message).to.contain('whole number');
    expect(refusal(() => checkValue('min_instances', '2e3', vhost)).message).to.contain('whole number');
    expect(refusal(() => checkValue('min_instances', true, vhost)).message).to.contain('boolean');
    expect(checkValue('force_max_concurrent_requests_per_process', '-1', vhost).value).to.equal(-1);
    expect(() => checkValue('force_max_concurrent_requests_per_process', '-2', vhost)).to.throw(ValidationError);
    const err = refusal(() => checkValue('max_requests', '99999999999999999', vhost));
    expect(err.field).to.equal('passenger_max_requests');
  });

  it('refuses anything that could break out of a line, a quote or a block', () => {
    const attempts: [string, string][] = [
      ['production\nPassengerMaxInstances 4', 'line break'],
      ['production\r', 'line break'],
      ['prod\u0000', 'control character U+0000'],
      ['prod\u001b[31m', 'control character U+001B'],
      ['prod\u007f', 'control character U+007F'],
      ['prod\u0085', 'non-ASCII'],
      ['prod\u2028x', 'non-ASCII'],
      ['"production', '"\\""'],
      ["it's", `"'"`],
      ['a\\', '"\\\\"'],
      ['</VirtualHost>', '"<"'],
      ['x>', '">"'],
      ['production; passenger_max_instances 4', '";"'],
      ['prod}', '"}"'],
      ['{prod', '"{"'],
      ['$host', '"$"'],
      ['`id`', '"`"'],
      ['   ', 'empty'],
    ];
    for (const [raw, why] of attempts) {
      const err = refusal(() => checkValue('app_env', raw, vhost));
      expect(err.message, JSON.stringify(raw)).to.contain(why);
      expect(err.hint, JSON.stringify(raw)).to.be.a('string').and.not.equal('');
      // The message never echoes the raw control characters back.
      expect(err.message).to.not.match(/\p{Cc}/u);
    }
  });

  it('quotes values that need it and leaves plain words bare', () => {
    expect(renderDirective(checkValue('app_env', 'staging', vhost), 'apache')).to.equal('PassengerAppEnv staging');
    const spaced = checkValue('app_root', '/var/www/vhosts/my site/httpdocs', vhost);
    expect(renderDirective(spaced, 'apache')).to.equal('PassengerAppRoot "/var/www/vhosts/my site/httpdocs"');
    expect(renderDirective(spaced, 'nginx')).to.equal('passenger_app_root "/var/www/vhosts/my site/httpdocs";');
    const hash = checkValue('app_env', 'a#b', nginxServer);
    expect(formatValue(hash)).to.equal('"a#b"');
    expect(renderDirective(checkValue('nodejs', '/opt/plesk/node/20/bin/node', vhost), 'apache')).to.equal(
      'PassengerNodejs /opt/plesk/node/20/bin/node',
    );
  });

  it('validates cookie attributes and renders them quoted (their ";" stays inside quotes in nginx)', () => {
    const v = checkValue('sticky_sessions_cookie_attributes', 'samesite=lax;', vhost);
    expect(v.value).to.equal('SameSite=Lax');
    expect(renderDirective(v, 'apache')).to.equal('PassengerStickySessionsCookieAttributes SameSite=Lax');
    const both = checkValue('sticky_sessions_cookie_attributes', 'SameSite=Lax; Secure;', nginxServer);
    expect(renderDirective(both, 'nginx')).to.equal('passenger_sticky_sessions_cookie_attributes "SameSite=Lax; Secure";');
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'SameSite=None', vhost)).message).to.contain('without Secure');
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'SameSite=Loose', vhost)).message).to.contain(
      'Strict, Lax or None',
    );
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'Path=/x', vhost)).message).to.contain('unknown cookie attribute');
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'Secure; Secure', vhost)).message).to.contain('twice');
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'Secure=1', vhost)).message).to.contain('takes no value');
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', ';;', vhost)).message).to.contain('at least one');
    // ";" is only allowed where it is part of the value's syntax.
    expect(() => checkValue('sticky_sessions_cookie_name', 'a;b', vhost)).to.throw(ValidationError);
  });

  it('reads cookie attribute strings leniently for diagnosis', () => {
    expect(cookieAttributesHaveSecure('SameSite=Lax; Secure;')).to.equal(true);
    expect(cookieAttributesHaveSecure('"SameSite=Lax; secure"')).to.equal(true);
    expect(cookieAttributesHaveSecure('SameSite=Lax')).to.equal(false);
    expect(splitCookieAttributes('SameSite=Lax; Secure;')).to.deep.equal([{ name: 'SameSite', value: 'Lax' }, { name: 'Secure' }]);
  });

  it('checks cookie names, app types, app roots', () => {
    expect(checkValue('sticky_sessions_cookie_name', 'route_id', vhost).value).to.equal('route_id');
    expect(() => checkValue('sticky_sessions_cookie_name', 'my route', vhost)).to.throw(ValidationError);
    expect(checkValue('app_type', 'Node', vhost).value).to.equal('node');
    expect(refusal(() => checkValue('app_type', 'php', vhost)).hint).to.contain('node');
    expect(refusal(() => checkValue('app_root', 'relative/dir', vhost)).message).to.contain('absolute');
    expect(refusal(() => checkValue('app_root', '/var/www/../etc', vhost)).message).to.contain('..');
  });

  it('refuses Enterprise-only directives everywhere, naming the open source alternative', () => {
    for (const placement of [vhost, htaccess, nginxServer, { server: 'apache', context: 'server' } as const]) {
      const err = refusal(() => checkValue('PassengerMaxInstances', '2', placement));
      expect(err.message).to.contain('Enterprise');
      expect(err.hint).to.contain('passenger_max_instances_per_app');
    }
    expect(refusal(() => checkValue('passenger_rolling_restarts', 'on', vhost)).message).to.contain('Enterprise');
  });

  it('refuses server-only directives per domain but allows them in the server config', () => {
    const err = refusal(() => checkValue('PassengerPoolIdleTime', '600', vhost));
    expect(err.message).to.contain('whole server');
    expect(checkValue('PassengerPoolIdleTime', '600', { server: 'apache', context: 'server' }).value).to.equal(600);
    expect(() => checkValue('passenger_max_pool_size', '8', nginxServer)).to.throw(ValidationError);
    expect(checkValue('passenger_max_pool_size', '8', { server: 'nginx', context: 'http' }).value).to.equal(8);
  });

  it('refuses a wrong context with the reason, including cookie attributes in .htaccess', () => {
    expect(refusal(() => checkValue('sticky_sessions_cookie_attributes', 'SameSite=Lax', htaccess)).message).to.contain('no effect');
    expect(refusal(() => checkValue('min_instances', '1', htaccess)).hint).to.contain('server, vhost, directory');
    expect(refusal(() => checkValue('abort_websockets_on_process_shutdown', 'on', vhost)).message).to.contain(
      'does not exist under Apache',
    );
    expect(refusal(() => checkValue('max_preloader_idle_time', '10', { server: 'apache', context: 'directory' })).message).to.contain(
      '<Directory>',
    );
    expect(refusal(() => checkValue('NoSuchDirective\u001b', '1', vhost)).message).to.not.contain('\u001b');
  });

  it('keeps placement and value checks usable separately', () => {
    const spec = lookupDirective('min_instances')!;
    expect(() => checkPlacement(spec, vhost)).to.not.throw();
    expect(parseValue(spec, '3').value).to.equal(3);
  });
});
