import { expect } from 'chai';
import type { SshSession } from '../../../backend/src/ssh/index.js';
import { readAppProcesses } from '../../../backend/src/verify/app-processes.js';
import { checkHandshake } from '../../../backend/src/verify/engineio-probe.js';
import { watchProcesses } from '../../../backend/src/verify/process-watch.js';
import { appRootOf, openTestHostSession, publicTarget } from './host.js';

// Read-only: idle.demo.test (PassengerMinInstances 0, server-wide PassengerPoolIdleTime 6) is only
// requested and then left alone; Passenger itself replaces the process.
describe('verify/process-watch on idle.demo.test (read-only)', function () {
  this.timeout(60_000);
  let session: SshSession;

  before(() => {
    session = openTestHostSession();
  });

  after(() => session?.close());

  it('sees the idle process go away within 15 s, and the next request is served by a new pid', async () => {
    const root = appRootOf('idle.demo.test');
    const first = await checkHandshake(publicTarget('idle.demo.test', 'https'));
    expect(first.ok, first.detail).to.equal(true);
    const before = await readAppProcesses(session, root);
    expect(before.processes, 'the request spawned a process').to.have.length.greaterThan(0);

    const watch = await watchProcesses(session, root, {
      windowMs: 15_000,
      intervalMs: 1_000,
      baseline: before.processes,
      stopOnGone: true,
    });
    const gone = watch.changes.filter((c) => c.kind === 'gone');
    console.log(
      `      idle: pid ${before.processes.map((p) => p.pid).join(',')} gone at ${gone.map((c) => c.at).join(',')}, ${watch.samples} samples`,
    );
    expect(watch.ok).to.equal(false);
    expect(gone.map((c) => c.pid)).to.have.members(before.processes.map((p) => p.pid));

    const again = await checkHandshake(publicTarget('idle.demo.test', 'https'));
    expect(again.ok, again.detail).to.equal(true);
    const after = await readAppProcesses(session, root);
    const oldPids = new Set(before.processes.map((p) => p.pid));
    expect(after.processes.length).to.be.greaterThan(0);
    expect(after.processes.some((p) => oldPids.has(p.pid))).to.equal(false);
  });
});
