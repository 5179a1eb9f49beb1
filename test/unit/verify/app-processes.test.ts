import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { describeProcesses, matchAppProcesses, newestInstanceName, servingProcesses } from '../../../backend/src/verify/app-processes.js';

// Captured by test/fixtures/verify/capture-restart-status.mjs: multi.demo.test right after
// `passenger-config restart-app`, old processes DETACHED while their held long-polls drain.
const duringRestart = readFileSync(new URL('../../../../test/fixtures/verify/status-during-restart.xml', import.meta.url), 'latin1');

describe('verify/app-processes', () => {
  it('picks the most recently started instance when a reload leaves two registered (the first row is as seen on the test host)', () => {
    const text = readFileSync(new URL('../../../../test/fixtures/verify/multiple-instances.txt', import.meta.url), 'utf8');
    expect(newestInstanceName(text)).to.equal('Kq3mZ0aB');
    expect(newestInstanceName(text.split('\n').slice(0, 10).join('\n'))).to.equal('uzRpw3Yx');
    expect(newestInstanceName('ERROR: Phusion Passenger(R) doesn\'t seem to be running.')).to.equal(undefined);
  });

  it("matches an app's processes by its root, with or without a trailing slash", () => {
    const multi = matchAppProcesses(duringRestart, '/var/www/vhosts/multi.demo.test/httpdocs/');
    expect(multi.known).to.equal(true);
    expect(multi.minProcesses).to.equal(2);
    expect(multi.processes.map((p) => p.pid)).to.deep.equal([29074, 29224, 15594, 18470]);
    expect(matchAppProcesses(duringRestart, '/var/www/vhosts/healthy.demo.test/httpdocs').processes.map((p) => p.pid)).to.deep.equal([15645]);
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
