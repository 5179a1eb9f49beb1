import { expect } from 'chai';
import { createCookieJar } from '../../../backend/src/verify/cookie-jar.js';
import { loadVerifyFixture } from './fixtures.js';

const HTTP = new URL('http://plainhttp.demo.test/socket.io/?EIO=4&transport=polling');
const HTTPS = new URL('https://healthy.demo.test/socket.io/?EIO=4&transport=polling');

describe('verify/cookie-jar', () => {
  const fixture = loadVerifyFixture();
  // Passenger's default sticky cookie, as captured from the test host.
  const passengerDefault = fixture.stickySetCookieDefault;
  // With PassengerStickySessionsCookieAttributes "SameSite=Lax" in the vhost (field-notes §2, seen).
  const passengerLaxOnly = '_passenger_route=1531126570; Path=/; SameSite=Lax';

  describe('browser rules', () => {
    it("drops Passenger's default Secure sticky cookie on a plain http site, saying why", () => {
      const jar = createCookieJar('browser');
      const [decision] = jar.store(HTTP, [passengerDefault]);
      expect(decision).to.include({ name: '_passenger_route', stored: false });
      expect(decision?.reason).to.match(/Secure.*http/);
      expect(jar.header(HTTP)).to.equal(undefined);
    });

    it('keeps the same cookie over https and sends it back only over https', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(HTTPS, [passengerDefault])[0]?.stored).to.equal(true);
      expect(jar.header(HTTPS)).to.match(/^_passenger_route=\d+$/);
      expect(jar.header(new URL('http://healthy.demo.test/socket.io/'))).to.equal(undefined);
    });

    it('keeps a sticky cookie without Secure on http (the socketio-safe profile for http-only sites)', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(HTTP, [passengerLaxOnly])[0]?.stored).to.equal(true);
      expect(jar.header(HTTP)).to.match(/^_passenger_route=\d+$/);
    });

    it('respects Path, and derives the default path from the request', () => {
      const jar = createCookieJar('browser');
      jar.store(new URL('http://a.test/live/socket.io/x'), ['scoped=1; Path=/live', 'implicit=2']);
      expect(jar.header(new URL('http://a.test/live/socket.io/'))).to.equal('implicit=2; scoped=1');
      expect(jar.header(new URL('http://a.test/livestream/'))).to.equal(undefined);
      expect(jar.header(new URL('http://a.test/socket.io/'))).to.equal(undefined);
    });

    it('sends longer paths first', () => {
      const jar = createCookieJar('browser');
      jar.store(new URL('http://a.test/'), ['a=root; Path=/', 'a=deep; Path=/live/socket.io']);
      expect(jar.header(new URL('http://a.test/live/socket.io/'))).to.equal('a=deep; a=root');
    });

    it('treats host-only and Domain cookies as browsers do', () => {
      const jar = createCookieJar('browser');
      const decisions = jar.store(new URL('http://app.demo.test/'), [
        'host=1',
        'wide=2; Domain=.demo.test',
        'foreign=3; Domain=other.test',
      ]);
      expect(decisions.map((d) => d.stored)).to.deep.equal([true, true, false]);
      expect(jar.header(new URL('http://app.demo.test/'))).to.equal('host=1; wide=2');
      expect(jar.header(new URL('http://other.demo.test/'))).to.equal('wide=2');
    });

    it('applies SameSite to cross-site XHR: only SameSite=None; Secure cookies go along', () => {
      const jar = createCookieJar('browser');
      jar.store(HTTPS, [passengerDefault, 'none=1; SameSite=None; Secure', 'strict=2; SameSite=Strict', 'plain=3']);
      expect(jar.header(HTTPS, { crossSite: true, method: 'POST' })).to.equal('none=1');
      expect(jar.header(HTTPS, { crossSite: true, method: 'GET', topLevelNavigation: true })).to.include('_passenger_route=');
      expect(jar.header(HTTPS, { crossSite: false })?.split('; ')).to.have.length(4);
    });

    it('treats a cookie without SameSite as Lax (Chromium): not set by a cross-site request', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(HTTPS, ['plain=1'], { crossSite: true })[0]).to.include({ stored: false });
      expect(jar.store(HTTPS, ['open=2; SameSite=None; Secure'], { crossSite: true })[0]).to.include({ stored: true });
    });

    it('never keeps or sends a Secure cookie over http, not even on localhost', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(new URL('http://localhost/'), [passengerDefault])[0]).to.include({ stored: false });
      jar.store(new URL('https://localhost/'), [passengerDefault]);
      expect(jar.header(new URL('http://localhost/socket.io/'))).to.equal(undefined);
      expect(jar.header(new URL('https://localhost/socket.io/'))).to.match(/^_passenger_route=/);
    });

    it('rejects SameSite=None without Secure', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(HTTP, ['x=1; SameSite=None'])[0]).to.include({ stored: false });
    });

    it('honours Max-Age before Expires, and deletes on Max-Age=0', () => {
      let now = Date.parse('2026-12-04T20:00:00Z');
      const jar = createCookieJar('browser', { now: () => now });
      jar.store(HTTP, ['a=1; Max-Age=10; Expires=Wed, 01 Jan 2099 00:00:00 GMT', 'b=2; Expires=Fri, 04 Dec 2026 20:00:05 GMT']);
      expect(jar.header(HTTP)).to.equal('a=1; b=2');
      now += 6_000;
      expect(jar.header(HTTP)).to.equal('a=1');
      now += 5_000;
      expect(jar.header(HTTP)).to.equal(undefined);
      jar.store(HTTP, ['c=3']);
      expect(jar.store(HTTP, ['c=; Max-Age=0'])[0]).to.include({ stored: false });
      expect(jar.header(HTTP)).to.equal(undefined);
    });

    it('does not let an http response overwrite a Secure cookie', () => {
      const jar = createCookieJar('browser');
      jar.store(HTTPS, ['_passenger_route=1; Path=/; Secure']);
      expect(jar.store(new URL('http://healthy.demo.test/'), ['_passenger_route=2; Path=/'])[0]).to.include({ stored: false });
      expect(jar.header(HTTPS)).to.equal('_passenger_route=1');
    });
  });

  describe("ignore-secure mode (Node's socket.io-client jar)", () => {
    it('keeps and sends the Secure sticky cookie over plain http, which no browser does', () => {
      const jar = createCookieJar('ignore-secure');
      expect(jar.store(HTTP, [passengerDefault])[0]?.stored).to.equal(true);
      expect(jar.header(HTTP)).to.match(/^_passenger_route=\d+$/);
      expect(createCookieJar('browser').store(HTTP, [passengerDefault])[0]?.stored).to.equal(false);
    });

    it('ignores Path and keys cookies by name only, but honours expiry', () => {
      let now = 1_000_000;
      const jar = createCookieJar('ignore-secure', { now: () => now });
      jar.store(new URL('http://a.test/x'), ['a=1; Path=/elsewhere; Max-Age=5', 'a=2; Path=/other; Max-Age=5']);
      expect(jar.header(new URL('http://a.test/'))).to.equal('a=2');
      now += 5_000;
      expect(jar.header(new URL('http://a.test/'))).to.equal(undefined);
    });
  });

  describe('matching rules', () => {
    it('matches paths per RFC 6265: a prefix only at a / boundary', () => {
      const jar = createCookieJar('browser');
      jar.store(new URL('http://a.test/'), ['live=1; Path=/live', 'slash=2; Path=/live/']);
      expect(jar.header(new URL('http://a.test/live/socket.io/'))).to.equal('slash=2; live=1');
      expect(jar.header(new URL('http://a.test/live'))).to.equal('live=1');
      expect(jar.header(new URL('http://a.test/lively'))).to.equal(undefined);
    });

    it('matches domains per RFC 6265: a parent domain at a dot, IP addresses only exactly', () => {
      const jar = createCookieJar('browser');
      expect(jar.store(new URL('http://a.demo.test/'), ['d=1; Domain=demo.test'])[0]?.stored).to.equal(true);
      expect(jar.header(new URL('http://ademo.test/'))).to.equal(undefined);
      expect(jar.store(new URL('http://127.0.0.1/'), ['ip=1; Domain=0.0.1'])[0]?.stored).to.equal(false);
    });

    it('keeps a quoted value as browsers do, with its quotes, and reads attribute names in any case', () => {
      const jar = createCookieJar('browser');
      jar.store(new URL('http://a.test/x'), ['q="quoted"; PATH=/p; SAMESITE=strict']);
      expect(jar.header(new URL('http://a.test/p'))).to.equal('q="quoted"');
      expect(jar.header(new URL('http://a.test/p'), { crossSite: true, topLevelNavigation: true })).to.equal(undefined);
    });
  });
});
