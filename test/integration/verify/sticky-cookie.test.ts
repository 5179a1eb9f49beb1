import { expect } from 'chai';
import { runOverlapProbe } from '../../../backend/src/verify/engineio-probe.js';
import { appendToHtaccess, withResetHostAndSession, publicTarget } from './host.js';

// Changes host state (sticky sessions on through .htaccess, no reload needed): reset before and after.
describe('verify: probe sensitivity and browser cookie rules with sticky sessions (changes the host)', function () {
  this.timeout(120_000);
  const ssh = withResetHostAndSession();

  it('multi.demo.test: the probe fails without sticky sessions and passes every round once `PassengerStickySessions on` is in .htaccess', async () => {
    const before = await runOverlapProbe(publicTarget('multi.demo.test', 'https'), { rounds: 10 });
    expect(before.ok).to.equal(false);
    expect(before.errors).to.deep.include({ code: 1, message: 'Session ID unknown' });

    await appendToHtaccess(ssh(), 'multi.demo.test', 'PassengerStickySessions on');
    const after = await runOverlapProbe(publicTarget('multi.demo.test', 'https'), { rounds: 10 });
    console.log(
      `      multi: ${before.failures}/10 rounds failed without sticky, ${after.failures}/10 with sticky (cookie ${after.cookieSeen})`,
    );
    expect(after.ok, JSON.stringify(after.roundResults.filter((r) => !r.ok))).to.equal(true);
    expect(after.failures).to.equal(0);
    expect(after.cookieSeen).to.match(/^_passenger_route=\d+; .*Secure/);
    expect(after.cookieSent).to.equal(true);
    expect(after.requests.filter((r) => r.phase === 'probe-post').every((r) => r.stickyCookieSent)).to.equal(true);
  });

  it("plainhttp.demo.test with sticky on: browsers drop the Secure cookie so the probe still fails; Node's ignore-Secure jar passes (the weaker check)", async () => {
    await appendToHtaccess(ssh(), 'plainhttp.demo.test', 'PassengerStickySessions on');
    const browser = await runOverlapProbe(publicTarget('plainhttp.demo.test', 'http'), { rounds: 10, cookieMode: 'browser' });
    const nodeJar = await runOverlapProbe(publicTarget('plainhttp.demo.test', 'http'), { rounds: 10, cookieMode: 'ignore-secure' });
    console.log(`      plainhttp + sticky: browser rules ${browser.failures}/10 failed, ignore-Secure jar ${nodeJar.failures}/10 failed`);

    expect(browser.cookieSeen).to.match(/^_passenger_route=\d+;.*Secure/);
    expect(browser.cookieDecision?.stored).to.equal(false);
    expect(browser.cookieDecision?.reason).to.match(/Secure.*http/);
    expect(browser.cookieSent).to.equal(false);
    expect(browser.ok).to.equal(false);
    expect(browser.errors).to.deep.include({ code: 1, message: 'Session ID unknown' });

    expect(nodeJar.cookieDecision?.stored).to.equal(true);
    expect(nodeJar.cookieSent).to.equal(true);
    expect(nodeJar.ok, 'the ignore-Secure jar reports a pass where browsers fail').to.equal(true);
  });
});
