import { expect } from 'chai';

/** What Plesk's launch form does for a token: a POST from the panel's own origin; returns the session cookie. */
export async function pleskLogin(panelUrl: string, token: string): Promise<string> {
  const login = await fetch(`${panelUrl}/auth/plesk`, {
    method: 'POST',
    redirect: 'manual',
    headers: { origin: new URL(panelUrl).origin, 'content-type': 'application/x-www-form-urlencoded' },
    body: new URLSearchParams({ token }),
  });
  expect(login.status, 'the token is exchanged for a session').to.equal(303);
  return login.headers.getSetCookie()[0]!.split(';')[0]!;
}
