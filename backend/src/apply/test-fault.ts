/**
 * TEST-ONLY fault seams, for integration tests that must prove rollback. Never set on a real server.
 * The environment variable PASSENGER_PANEL_TEST_FAULT selects one:
 *   config-test    every plan adds a directive open source Passenger rejects (Enterprise-only
 *                  PassengerMaxInstances) to the domain's vhost file, so the web server's config test fails;
 *   startup-crash  every plan points the app at the startup file `pp-test-crash.js` (which the test
 *                  creates to crash on start), so the change passes the config test but the app dies.
 * Both bypass the catalog on purpose, and both show in the plan's diff.
 */
export type TestFault = 'config-test' | 'startup-crash';

export const TEST_FAULT_ENV = 'PASSENGER_PANEL_TEST_FAULT';
export const TEST_CRASH_STARTUP_FILE = 'pp-test-crash.js';

export function testFault(): TestFault | undefined {
  const value = process.env[TEST_FAULT_ENV];
  return value === 'config-test' || value === 'startup-crash' ? value : undefined;
}

/** The line the seam adds to a vhost file of the given kind, or undefined when it adds none there. */
export function faultLineFor(fault: TestFault, server: 'apache' | 'nginx', kind: string): string | undefined {
  if (fault === 'config-test') {
    if (server === 'apache' && kind === 'vhost') return 'PassengerMaxInstances 2';
    if (server === 'nginx' && kind === 'vhost_nginx') return 'passenger_max_instances 2;';
    return undefined;
  }
  if (server === 'apache' && (kind === 'vhost' || kind === 'vhost_ssl')) return `PassengerStartupFile ${TEST_CRASH_STARTUP_FILE}`;
  if (server === 'nginx' && kind === 'vhost_nginx') return `passenger_startup_file ${TEST_CRASH_STARTUP_FILE};`;
  return undefined;
}
