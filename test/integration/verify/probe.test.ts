import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { io as connectClient } from 'socket.io-client';
import { Server } from 'socket.io';
import { checkHandshake, runOverlapProbe } from '../../../backend/src/verify/engineio-probe.js';
import { checkWebSocket } from '../../../backend/src/verify/websocket-check.js';
import { publicTarget } from './host.js';

// Read-only: these tests only send requests through nginx (127.0.0.1:8080/8443) to the demo apps.
describe('verify/engineio-probe and websocket-check on the test host (read-only)', function () {
  this.timeout(60_000);

  it('multi.demo.test (2 processes, no sticky sessions): the overlap probe gets 400 "Session ID unknown"', async () => {
    const result = await runOverlapProbe(publicTarget('multi.demo.test', 'https'), { rounds: 10 });
    console.log(
      `      multi: ${result.failures}/10 rounds failed, ${result.badRequests} responses of 400, ${result.sessions} sessions, ${result.durationMs} ms`,
    );
    expect(result.ok).to.equal(false);
    expect(result.failures).to.be.greaterThan(0);
    expect(result.badRequests).to.equal(result.failures);
    expect(result.errors).to.deep.include({ code: 1, message: 'Session ID unknown' });
    expect(result.problems, 'nothing but 400s went wrong').to.deep.equal([]);
    const failedPost = result.requests.find((r) => r.status === 400);
    expect(failedPost?.phase, 'the POST sent while the GET is held is the one that fails').to.equal('probe-post');
    expect(result.cookieSeen, 'no sticky cookie without sticky sessions').to.equal(undefined);
  });

  it('a sequential check would not notice: one handshake plus connect on multi.demo.test succeeds', async () => {
    const check = await checkHandshake(publicTarget('multi.demo.test', 'https'));
    expect(check.ok, check.detail).to.equal(true);
  });

  for (const scheme of ['https', 'http'] as const) {
    it(`healthy.demo.test over ${scheme}: every round passes on one session`, async () => {
      const result = await runOverlapProbe(publicTarget('healthy.demo.test', scheme), { rounds: 10 });
      expect(result.ok, JSON.stringify(result.roundResults.filter((r) => !r.ok))).to.equal(true);
      expect(result.roundResults.map((r) => r.ok)).to.deep.equal(Array(10).fill(true));
      expect(result.statuses.every((s) => s === 200)).to.equal(true);
      expect(result.sessions).to.equal(1);
      expect(result.url).to.equal(`${scheme}://healthy.demo.test/socket.io/`);
    });
  }

  it('custompath.demo.test: passes at its /live/socket.io/ path, and the default path is reported as a problem, not a 400', async () => {
    const right = await runOverlapProbe(publicTarget('custompath.demo.test', 'https'), { socketIoPath: '/live/socket.io', rounds: 10 });
    expect(right.ok).to.equal(true);
    const wrong = await runOverlapProbe(publicTarget('custompath.demo.test', 'https'), { rounds: 1 });
    expect(wrong.ok).to.equal(false);
    expect(wrong.badRequests).to.equal(0);
    expect(wrong.problems[0]).to.match(/HTTP 404/);
  });

  it('a WebSocket upgrade through Apache is expected-unavailable: the 101 arrives but the stream is chunk-encoded', async () => {
    const result = await checkWebSocket(publicTarget('healthy.demo.test', 'https'), { integration: 'apache' });
    expect(result.outcome).to.equal('expected-unavailable');
    expect(result.upgraded).to.equal(false);
    expect(result.status).to.equal(101);
    expect(result.headers['x-powered-by']).to.match(/Phusion Passenger/);
    expect(result.detail).to.match(/chunk-encoded/);
    // The same attempt, judged as if Passenger ran inside nginx, is a failure.
    const strict = await checkWebSocket(publicTarget('healthy.demo.test', 'http'), { integration: 'nginx' });
    expect(strict.outcome).to.equal('failed');
  });

  it("socket.io-client with transports ['websocket'] fails the same way (through nginx, and straight at Apache as field-notes §1.4 saw it)", async () => {
    const viaNginx = await websocketOnlyClientError('http://127.0.0.1:8080', 'healthy.demo.test');
    expect(viaNginx).to.match(/Invalid WebSocket frame/);
    const viaApache = await websocketOnlyClientError('http://127.0.0.1:7080', 'healthy.demo.test');
    expect(viaApache).to.equal('Unexpected server response: 101');
  });

  it('reports ok when the upgrade really works (a Socket.IO server on loopback, as under nginx integration)', async () => {
    const server = http.createServer();
    const ioServer = new Server(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    try {
      const port = (server.address() as AddressInfo).port;
      const result = await checkWebSocket(
        { domain: 'loopback.test', scheme: 'http', address: '127.0.0.1', port },
        { integration: 'nginx' },
      );
      expect(result.outcome, result.detail).to.equal('ok');
      expect(result.upgraded).to.equal(true);
    } finally {
      await ioServer.close();
    }
  });
});

/** What socket.io-client (ws underneath) says when it may only use WebSocket; throws if it connects. */
function websocketOnlyClientError(url: string, host: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connectClient(url, { transports: ['websocket'], extraHeaders: { Host: host }, reconnection: false, timeout: 5000 });
    socket.on('connect', () => {
      socket.close();
      reject(new Error('WebSocket connected, which Passenger under Apache is not expected to allow'));
    });
    socket.on('connect_error', (err: Error & { description?: unknown }) => {
      socket.close();
      const description = err.description as { message?: string } | undefined;
      resolve(description?.message ?? err.message);
    });
  });
}
