import { SshSession, shScript } from '../../../backend/src/ssh/index.js';
import type { PublicTarget } from '../../../backend/src/verify/http-client.js';
import type { PublicEndpoint, VerifyTarget } from '../../../backend/src/verify/verifier.js';
import { DEMO, loadConnection, resetHost } from '../../support/testhost.js';

/** What the verify/ integration tests need from the test host, on top of test/support/testhost.ts. */

export const TEST_HOST_ENDPOINT: PublicEndpoint = {
  address: '127.0.0.1',
  httpPort: 8080,
  httpsPort: 8443,
  acceptSelfSignedOnTestHost: true,
};

export function openTestHostSession(): SshSession {
  return new SshSession(loadConnection());
}

export const appRootOf = DEMO.appRoot;

export function publicTarget(domain: string, scheme: 'http' | 'https'): PublicTarget {
  return {
    domain,
    scheme,
    address: TEST_HOST_ENDPOINT.address,
    port: scheme === 'https' ? TEST_HOST_ENDPOINT.httpsPort : TEST_HOST_ENDPOINT.httpPort,
    acceptSelfSignedOnTestHost: true,
  };
}

export function verifyTarget(domain: string, socketIoPath = '/socket.io/'): VerifyTarget {
  return { domain, server: 'demo', appRoot: appRootOf(domain), socketIoPath, integration: 'apache', endpoint: TEST_HOST_ENDPOINT };
}

/** Appends one directive line to a domain's .htaccess over SSH (takes effect on the next request, no reload). */
export async function appendToHtaccess(session: SshSession, domain: string, line: string): Promise<void> {
  await session.exec(shScript('printf "\\n%s\\n" "$2" >> "$1"', [`${DEMO.documentRoot(domain)}/.htaccess`, line]));
}

/**
 * For suites that change the host: resets it before and after (test/host/reset.sh) and opens one
 * SSH session for the suite. Call inside describe(); the returned function gives the session.
 */
export function withResetHostAndSession(): () => SshSession {
  let session: SshSession | undefined;
  before(async () => {
    await resetHost();
    session = openTestHostSession();
  });
  after(async () => {
    session?.close();
    await resetHost();
  });
  return () => {
    if (!session) throw new Error('the SSH session is opened in before(); use it inside tests only');
    return session;
  };
}
