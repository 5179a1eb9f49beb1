/**
 * TEST-ONLY faults for host tests, injected through the engine's port instead of product code: a
 * decorator around the real ServerOps that changes the bytes of the NEXT write that touches a vhost
 * file (the change's write; the restore that follows is left alone):
 *   config-test    adds the Enterprise-only `PassengerMaxInstances 2` to vhost.conf, which open source
 *                  Passenger's config test rejects (AH00526);
 *   startup-crash  points the app at `pp-test-crash.js` (the test creates it to crash on start) in
 *                  vhost.conf and vhost_ssl.conf, and puts the Enterprise-only directive in .htaccess
 *                  (every request to the site then answers 500): the config test passes, verification fails.
 * The real server then does the rest: the engine must roll back byte for byte.
 */
import type { ServerOps } from '../../backend/src/apply/server-ops.js';
import type { ServerPorts } from '../../backend/src/jobs/ports.js';
import { findManagedBlock, replaceManagedBlock } from '../../backend/src/passenger/managed-block.js';

export type HostFault = 'config-test' | 'startup-crash';
export const CRASH_STARTUP_FILE = 'pp-test-crash.js';

function faultLine(fault: HostFault, path: string): string | undefined {
  if (fault === 'config-test') {
    if (path.endsWith('/vhost.conf')) return 'PassengerMaxInstances 2';
    if (path.endsWith('/vhost_nginx.conf')) return 'passenger_max_instances 2;';
    return undefined;
  }
  if (path.endsWith('/vhost.conf') || path.endsWith('/vhost_ssl.conf')) return `PassengerStartupFile ${CRASH_STARTUP_FILE}`;
  if (path.endsWith('/.htaccess')) return 'PassengerMaxInstances 2';
  return undefined;
}

/** Arms one fault for the next write that touches a file it applies to; `injected` lists what it changed. */
export class FaultInjector {
  readonly injected: string[] = [];
  private armed = true;

  constructor(readonly fault: HostFault) {}

  wrap(ops: ServerOps): ServerOps {
    return {
      ...ops,
      putFileStates: (states) => {
        if (!this.armed || !states.some((s) => s.bytes && faultLine(this.fault, s.path))) return ops.putFileStates(states);
        this.armed = false;
        const changed = states.map((s) => {
          const line = faultLine(this.fault, s.path);
          if (!s.bytes || !line) return s;
          const text = s.bytes.toString('latin1');
          const body = findManagedBlock(text, s.path)?.body ?? [];
          this.injected.push(s.path);
          return { ...s, bytes: Buffer.from(replaceManagedBlock(text, [...body, line], s.path), 'latin1') };
        });
        return ops.putFileStates(changed);
      },
    };
  }

  ports(base: ServerPorts): ServerPorts {
    return { ...base, ops: async (server) => this.wrap(await base.ops(server)) };
  }
}
