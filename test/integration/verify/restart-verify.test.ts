import { expect } from 'chai';
import { RestartTimeoutError } from '../../../backend/src/verify/errors.js';
import type { StepEvent } from '../../../backend/src/events.js';
import { readAppProcesses, servingProcesses } from '../../../backend/src/verify/app-processes.js';
import { checkHandshake } from '../../../backend/src/verify/engineio-probe.js';
import { restartApp } from '../../../backend/src/verify/restart.js';
import { verifyDomain } from '../../../backend/src/verify/verifier.js';
import { appRootOf, withResetHostAndSession, publicTarget, verifyTarget } from './host.js';

// Restarts demo apps (new pids): reset before and after so other suites find the host as set up.
describe('verify: restart, process watch and the live verification (restarts demo apps)', function () {
  this.timeout(120_000);
  const ssh = withResetHostAndSession();

  it('restarts healthy.demo.test and returns once new processes serve through nginx', async () => {
    const before = await readAppProcesses(ssh(), appRootOf('healthy.demo.test'));
    expect(before.processes).to.have.length(1);
    const others = ['multi.demo.test', 'custompath.demo.test'];
    const othersBefore = await Promise.all(others.map((d) => readAppProcesses(ssh(), appRootOf(d))));
    const result = await restartApp(ssh(), appRootOf('healthy.demo.test'), {
      serves: () => checkHandshake(publicTarget('healthy.demo.test', 'https')),
    });
    console.log(`      restart-app until serving again: ${result.ms} ms, ${result.polls} polls`);
    const oldPids = new Set(before.processes.map((p) => p.pid));
    expect(result.after.length).to.be.greaterThan(0);
    expect(result.after.some((p) => oldPids.has(p.pid))).to.equal(false);
    expect(result.serveCheck.ok).to.equal(true);
    const now = await readAppProcesses(ssh(), appRootOf('healthy.demo.test'));
    expect(servingProcesses(now.processes).map((p) => p.gupid)).to.deep.equal(result.after.map((p) => p.gupid));
    // Exactly this app's group was named, and no other app restarted.
    expect(result.groups).to.deep.equal([`${appRootOf('healthy.demo.test')} (production)`]);
    const othersAfter = await Promise.all(others.map((d) => readAppProcesses(ssh(), appRootOf(d))));
    expect(othersAfter.map((a) => a.processes.map((p) => p.gupid))).to.deep.equal(othersBefore.map((a) => a.processes.map((p) => p.gupid)));
  });

  it('gives up with a clear timeout error when the restarted app never serves through the public path', async () => {
    let caught: unknown;
    try {
      // The app restarts fine, but nothing answers Engine.IO at this path, so it never counts as serving.
      await restartApp(ssh(), appRootOf('healthy.demo.test'), {
        serves: () => checkHandshake(publicTarget('healthy.demo.test', 'https'), { socketIoPath: '/no-socket-here/' }),
        timeoutMs: 3_000,
      });
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(RestartTimeoutError);
    expect((caught as Error).message).to.match(
      /did not serve from new processes within 3000 ms \(last seen: .*new serving: 1 of 1, old still serving: 0, .*handshake answered HTTP 404/,
    );
    expect((caught as RestartTimeoutError).hint).to.match(/Passenger log/);
  });

  it('verifies healthy.demo.test: every check passes, each step is a timestamped event', async () => {
    const events: StepEvent[] = [];
    const report = await verifyDomain(ssh(), verifyTarget('healthy.demo.test'), { events: (e) => events.push(e) });
    console.log(
      `      verify healthy: ${report.checks.map((c) => `${c.check}=${c.ok}`).join(' ')}; ${new Date(report.finishedAt).getTime() - new Date(report.startedAt).getTime()} ms`,
    );
    expect(report.ok, JSON.stringify(report.checks)).to.equal(true);
    expect(report.verdict).to.equal('verified');
    expect(report.checks.map((c) => c.check)).to.deep.equal(['restart', 'probe', 'websocket', 'watch']);
    expect(report.probe?.rounds).to.equal(10);
    expect(report.probe?.badRequests).to.equal(0);
    expect(report.websocket?.outcome).to.equal('expected-unavailable');
    expect(report.watch?.windowMs).to.equal(10_000);
    expect(report.watch?.changes.filter((c) => c.kind === 'gone')).to.deep.equal([]);
    expect(events).to.deep.equal(report.events);
    expect(events.map((e) => `${e.step}:${e.status}`)).to.deep.equal([
      'verify.restart:start',
      'verify.restart:ok',
      'verify.probe:start',
      'verify.probe:ok',
      'verify.websocket:start',
      'verify.websocket:info',
      'verify.watch:start',
      'verify.watch:ok',
      'verify.verdict:ok',
    ]);
    expect(events.every((e) => e.domain === 'healthy.demo.test' && !Number.isNaN(Date.parse(e.at)))).to.equal(true);
    const times = events.map((e) => Date.parse(e.at));
    expect(times).to.deep.equal([...times].sort((a, b) => a - b));
  });

  it('fails multi.demo.test on the probe, with the 400s as evidence (and, asked for, before the restart too)', async () => {
    const report = await verifyDomain(ssh(), verifyTarget('multi.demo.test'), { watchWindowMs: 2_000, baseline: true });
    expect(report.baseline?.badRequests, 'the baseline probe saw the 400s on the old processes').to.be.greaterThan(0);
    expect(report.events.slice(0, 2).map((e) => `${e.step}:${e.status}`)).to.deep.equal(['verify.baseline:start', 'verify.baseline:info']);
    expect(report.ok).to.equal(false);
    const probe = report.checks.find((c) => c.check === 'probe');
    expect(probe?.ok).to.equal(false);
    expect(probe?.summary).to.match(/responses of 400, e\.g\. 1 "Session ID unknown"/);
    expect(report.checks.find((c) => c.check === 'restart')?.ok).to.equal(true);
    // Both min instances are replaced before the probe runs; the baseline's orphaned long-polls
    // keep old processes DETACHED meanwhile, which must not hold the restart up.
    expect(report.restart?.after).to.have.length(2);
    expect(report.restart?.draining.length, 'old processes were still draining when the new ones served').to.be.greaterThan(0);
    expect(report.events.at(-1)).to.include({ step: 'verify.verdict', status: 'fail' });
  });

  it('refuses fewer than 10 rounds', async () => {
    let caught: unknown;
    try {
      await verifyDomain(ssh(), verifyTarget('healthy.demo.test'), { rounds: 3 });
    } catch (err) {
      caught = err;
    }
    expect((caught as Error)?.message).to.match(/at least 10 overlap rounds/);
  });
});
