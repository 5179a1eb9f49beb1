import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { describeProcesses, matchAppProcesses, servingProcesses } from '../../../backend/src/verify/app-processes.js';
import { instancesNewestFirst, MULTIPLE_INSTANCES } from '../../../backend/src/verify/passenger-instance.js';

// Captured by test/fixtures/verify/capture-restart-status.mjs: multi.demo.test right after
// `passenger-config restart-app`, old processes DETACHED while their held long-polls drain.
const duringRestart = readFileSync(new URL('../../../../test/fixtures/verify/status-during-restart.xml', import.meta.url), 'latin1');

describe('verify/app-processes', () => {
  it('orders registered Passenger instances newest first by their properties.json, whatever their pids', () => {
    const refusal = readFileSync(new URL('../../../../test/fixtures/verify/multiple-instances.txt', import.meta.url), 'utf8');
    expect(MULTIPLE_INSTANCES.test(refusal)).to.equal(true);
    const props = (name: string, usec: number, pid: number) =>
      JSON.stringify(
        { instance_dir: { created_at: Math.floor(usec / 1e6), created_at_monotonic_usec: usec }, name, watchdog_pid: pid },
        null,
        3,
      );
    // The newer instance got the lower pid (pids wrap at 32768 on the test host).
    const listing = [props('uzRpw3Yx', 8_179_726_403, 25140), props('Kq3mZ0aB', 8_205_000_000, 1312), '{ "name" : "half-writ'].join(
      '\n@@instance@@\n',
    );
    expect(instancesNewestFirst(listing).map((i) => i.name)).to.deep.equal(['Kq3mZ0aB', 'uzRpw3Yx']);
    expect(instancesNewestFirst('')).to.deep.equal([]);
  });

  it("matches an app's processes by its root, with or without a trailing slash", () => {
    const multi = matchAppProcesses(duringRestart, '/var/www/vhosts/multi.demo.test/httpdocs/');
    expect(multi.known).to.equal(true);
    expect(multi.minProcesses).to.equal(2);
    expect(multi.processes.map((p) => p.pid)).to.deep.equal([29074, 29224, 15594, 18470]);
    expect(matchAppProcesses(duringRestart, '/var/www/vhosts/healthy.demo.test/httpdocs').processes.map((p) => p.pid)).to.deep.equal([
      15645,
    ]);
  });

  it('knows an app that has no process (min instances 0, idle) apart from an app Passenger never saw', () => {
    const idle = matchAppProcesses(duringRestart, '/var/www/vhosts/idle.demo.test/httpdocs');
    expect(idle).to.include({ known: true, minProcesses: 0 });
    expect(idle.processes).to.deep.equal([]);
    const absent = matchAppProcesses(duringRestart, '/var/www/vhosts/absent.demo.test/httpdocs');
    expect(absent).to.include({ known: false, minProcesses: null });
  });

  it('does not count DETACHED processes (draining after a restart) as serving', () => {
    const multi = matchAppProcesses(duringRestart, '/var/www/vhosts/multi.demo.test/httpdocs');
    expect(servingProcesses(multi.processes).map((p) => p.pid)).to.deep.equal([29074, 29224]);
    expect(multi.processes.filter((p) => p.enabled === 'DETACHED').every((p) => p.sessions > 0)).to.equal(true);
  });

  it('describes processes for messages', () => {
    const healthy = matchAppProcesses(duringRestart, '/var/www/vhosts/healthy.demo.test/httpdocs');
    expect(describeProcesses(healthy.processes)).to.equal('1 process: pid 15645');
    expect(describeProcesses([])).to.equal('no process');
  });
});
