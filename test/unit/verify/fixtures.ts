import { readFileSync } from 'node:fs';

/** Raw wire data captured from the test host by test/fixtures/verify/capture.mjs. */
export interface VerifyFixture {
  capturedAt: string;
  handshakeBody: string;
  connectAnswerBody: string;
  probeAnswerBody: string;
  sessionUnknownStatus: number;
  sessionUnknownBody: string;
  stickySetCookieDefault: string;
}

export function loadVerifyFixture(): VerifyFixture {
  // Compiled tests live in dist/test/unit/verify/, the fixtures stay in the source tree.
  const url = new URL('../../../../test/fixtures/verify/engineio-capture.json', import.meta.url);
  return JSON.parse(readFileSync(url, 'utf8')) as VerifyFixture;
}
