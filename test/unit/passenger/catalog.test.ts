import { expect } from 'chai';
import {
  CATALOG,
  defaultValue,
  directiveName,
  lookupApacheDirective,
  lookupDirective,
  lookupNginxDirective,
} from '../../../backend/src/passenger/catalog.js';

describe('passenger catalog', () => {
  it('holds every directive of field-notes §2 and the app identity, once each', () => {
    const keys = CATALOG.map((s) => s.key);
    for (const key of [
      'passenger_sticky_sessions',
      'passenger_sticky_sessions_cookie_attributes',
      'passenger_sticky_sessions_cookie_name',
      'passenger_min_instances',
      'passenger_max_requests',
      'passenger_force_max_concurrent_requests_per_process',
      'passenger_pool_idle_time',
      'passenger_max_pool_size',
      'passenger_max_instances_per_app',
      'passenger_max_instances',
      'passenger_max_request_time',
      'passenger_rolling_restarts',
      'passenger_memory_limit',
      'passenger_max_preloader_idle_time',
      'passenger_abort_websockets_on_process_shutdown',
      'passenger_app_root',
      'passenger_app_type',
      'passenger_startup_file',
      'passenger_app_env',
      'passenger_restart_dir',
      'passenger_enabled',
      'passenger_nodejs',
    ]) {
      expect(keys, key).to.include(key);
    }
    expect(new Set(keys).size).to.equal(keys.length);
    for (const spec of CATALOG) {
      expect(spec.key).to.equal(spec.nginxName);
      expect(spec.apacheName).to.match(/^Passenger[A-Z]/);
      expect(spec.explain.length, spec.key).to.be.within(10, 120);
    }
  });

  it('finds a directive by nginx name, short key, or Apache name in any case', () => {
    const spec = lookupDirective('passenger_min_instances');
    expect(spec?.apacheName).to.equal('PassengerMinInstances');
    expect(lookupDirective('min_instances')).to.equal(spec);
    expect(lookupDirective('PASSENGERMININSTANCES')).to.equal(spec);
    expect(lookupDirective(' passengerMinInstances ')).to.equal(spec);
    expect(lookupDirective('PassengerNoSuchThing')).to.equal(undefined);
    expect(lookupApacheDirective('passengerstickysessions')?.key).to.equal('passenger_sticky_sessions');
    expect(lookupApacheDirective('passenger_sticky_sessions')).to.equal(undefined);
    // nginx names are case-sensitive.
    expect(lookupNginxDirective('passenger_sticky_sessions')?.apacheName).to.equal('PassengerStickySessions');
    expect(lookupNginxDirective('Passenger_Sticky_Sessions')).to.equal(undefined);
  });

  it('marks the Enterprise-only directives and allows them nowhere', () => {
    const enterprise = CATALOG.filter((s) => s.enterpriseOnly)
      .map((s) => s.key)
      .sort();
    expect(enterprise).to.deep.equal([
      'passenger_max_instances',
      'passenger_max_request_time',
      'passenger_memory_limit',
      'passenger_rolling_restarts',
    ]);
    for (const key of enterprise) {
      const spec = lookupDirective(key)!;
      expect(spec.contexts.apache).to.deep.equal([]);
      expect(spec.contexts.nginx).to.deep.equal([]);
    }
  });

  it('keeps the pool settings server-only and the sticky cookie attributes out of .htaccess', () => {
    for (const key of ['passenger_pool_idle_time', 'passenger_max_pool_size', 'passenger_max_instances_per_app']) {
      const spec = lookupDirective(key)!;
      expect(spec.serverOnly, key).to.equal(true);
      expect(spec.contexts.apache).to.deep.equal(['server']);
      expect(spec.contexts.nginx).to.deep.equal(['http']);
    }
    expect(lookupDirective('PassengerStickySessionsCookieAttributes')!.contexts.apache).to.not.include('htaccess');
    expect(lookupDirective('PassengerStickySessions')!.contexts.apache).to.include('htaccess');
    expect(lookupDirective('PassengerMinInstances')!.contexts.apache).to.not.include('htaccess');
    expect(lookupDirective('PassengerMinInstances')!.serverOnly).to.equal(false);
    expect(lookupDirective('passenger_abort_websockets_on_process_shutdown')!.contexts.apache).to.deep.equal([]);
  });

  it('says which changes need a reload: only .htaccess-capable ones do not', () => {
    expect(lookupDirective('sticky_sessions')!.needsReload).to.equal(false);
    expect(lookupDirective('sticky_sessions_cookie_attributes')!.needsReload).to.equal(true);
    expect(lookupDirective('min_instances')!.needsReload).to.equal(true);
  });

  it('gives the 6.0.17 defaults, per web server where they differ', () => {
    expect(lookupDirective('sticky_sessions_cookie_attributes')!.default).to.equal('SameSite=Lax; Secure;');
    expect(lookupDirective('sticky_sessions_cookie_name')!.default).to.equal('_passenger_route');
    expect(lookupDirective('pool_idle_time')!.default).to.equal(300);
    expect(lookupDirective('max_pool_size')!.default).to.equal(6);
    expect(lookupDirective('force_max_concurrent_requests_per_process')!.default).to.equal(-1);
    const enabled = lookupDirective('passenger_enabled')!;
    expect(defaultValue(enabled, 'apache')).to.equal(true);
    expect(defaultValue(enabled, 'nginx')).to.equal(false);
    expect(directiveName(enabled, 'apache')).to.equal('PassengerEnabled');
    expect(directiveName(enabled, 'nginx')).to.equal('passenger_enabled');
  });
});
