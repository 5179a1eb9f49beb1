import { expect } from 'chai';
import { readCookie, SessionStore } from '../../../backend/src/web/sessions.js';
import type { PanelUser } from '../../../backend/src/web/users.js';

const admin: PanelUser = { name: 'admin', role: 'admin', domains: '*', via: 'login-link' };

describe('session store', () => {
  it('accepts only its own signed cookie values', () => {
    const store = new SessionStore();
    const session = store.create(admin);
    const value = store.cookieValue(session);
    expect(store.fromCookie(value)?.id).to.equal(session.id);
    expect(store.fromCookie(`${session.id}.${'A'.repeat(43)}`)).to.equal(null);
    expect(store.fromCookie(session.id)).to.equal(null);
    expect(new SessionStore().fromCookie(value), 'another process key').to.equal(null);
  });

  it('ends sessions after the idle and the absolute limit', () => {
    let now = 0;
    const store = new SessionStore({ idleMs: 100, absoluteMs: 250, now: () => now });
    const value = store.cookieValue(store.create(admin));
    now = 90;
    expect(store.fromCookie(value)).to.not.equal(null);
    now = 180;
    expect(store.fromCookie(value), 'active within idle limit').to.not.equal(null);
    now = 260;
    expect(store.fromCookie(value), 'past the absolute limit').to.equal(null);
    const idle = store.cookieValue(store.create(admin));
    now = 400;
    expect(store.fromCookie(idle)).to.equal(null);
  });

  it('a flood of anonymous sessions cannot push out logged-in users', () => {
    const store = new SessionStore({ maxSessions: 5 });
    const loggedIn = store.create(admin);
    for (let i = 0; i < 50; i++) store.create(null);
    expect(store.size).to.equal(5);
    expect(store.byId(loggedIn.id)).to.not.equal(null);
  });

  it('login replaces the anonymous session with a new id and CSRF token', () => {
    const store = new SessionStore();
    const anonymous = store.create(null);
    const session = store.login(anonymous, admin);
    expect(session.id).to.not.equal(anonymous.id);
    expect(session.csrfToken).to.not.equal(anonymous.csrfToken);
    expect(store.byId(anonymous.id)).to.equal(null);
  });

  it('reads one cookie from a header', () => {
    expect(readCookie('a=1; pp_session=abc.def; b=2', 'pp_session')).to.equal('abc.def');
    expect(readCookie('xpp_session=1', 'pp_session')).to.equal(undefined);
    expect(readCookie(undefined, 'pp_session')).to.equal(undefined);
  });
});
