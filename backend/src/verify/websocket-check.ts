import { createHash, randomBytes } from 'node:crypto';
import net from 'node:net';
import tls from 'node:tls';
import { normaliseSocketIoPath } from './engineio-probe.js';
import type { PublicTarget } from './http-client.js';

/**
 * Tries a WebSocket upgrade for Socket.IO through the public path, with a raw HTTP/1.1
 * Upgrade request, and reads the Engine.IO open packet from the first frame. Under
 * Passenger's Apache integration WebSocket does not work (field-notes §1.4, phusion/passenger#1202):
 * the client sees no usable 101, and Socket.IO stays on long-polling. That is reported as
 * 'expected-unavailable', not as a failure; under nginx integration it must work.
 */

export type PassengerIntegration = 'apache' | 'nginx';
export type WebSocketOutcome = 'ok' | 'expected-unavailable' | 'failed';

export interface WebSocketCheckOptions {
  socketIoPath?: string;
  integration: PassengerIntegration;
  /** Whole attempt: connect, upgrade answer and first frame. Default 5000 ms. */
  timeoutMs?: number;
}

export interface WebSocketCheckResult {
  outcome: WebSocketOutcome;
  integration: PassengerIntegration;
  /** A real 101 with the right Upgrade/Connection/Accept headers and an Engine.IO open frame. */
  upgraded: boolean;
  /** The status line the server sent, e.g. 'HTTP/1.1 101 Switching Protocols'. */
  statusLine?: string;
  status?: number;
  /** Response headers, lower-case names. */
  headers: Record<string, string>;
  /** What a WebSocket client library would conclude, in one line. */
  detail: string;
  ms: number;
}

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

export async function checkWebSocket(target: PublicTarget, options: WebSocketCheckOptions): Promise<WebSocketCheckResult> {
  const started = Date.now();
  const path = `${normaliseSocketIoPath(options.socketIoPath ?? '/socket.io/')}?EIO=4&transport=websocket`;
  const key = randomBytes(16).toString('base64');
  const attempt = await rawUpgrade(target, path, key, options.timeoutMs ?? 5000);
  const ms = Date.now() - started;
  const verdict = judge(attempt, key);
  const outcome: WebSocketOutcome = verdict.upgraded ? 'ok' : options.integration === 'apache' ? 'expected-unavailable' : 'failed';
  return {
    outcome,
    integration: options.integration,
    upgraded: verdict.upgraded,
    ...(attempt.statusLine === undefined ? {} : { statusLine: attempt.statusLine }),
    ...(attempt.status === undefined ? {} : { status: attempt.status }),
    headers: attempt.headers,
    detail:
      outcome === 'expected-unavailable'
        ? `${verdict.detail}; expected under Passenger's Apache integration (phusion/passenger#1202): Socket.IO stays on long-polling`
        : verdict.detail,
    ms,
  };
}

interface RawAttempt {
  statusLine?: string;
  status?: number;
  headers: Record<string, string>;
  /** Text of the first WebSocket frame after a 101, when one arrived. */
  firstFrame?: string;
  error?: string;
  /** Bytes after the response head when it was not a 101 (start of the body). */
  bodyStart?: string;
  /** First bytes after a 101, kept when they are not a WebSocket frame. */
  streamStart?: string;
  /** The bytes after the 101 carry HTTP chunked framing instead of raw WebSocket frames. */
  chunkedStream?: boolean;
}

function judge(attempt: RawAttempt, key: string): { upgraded: boolean; detail: string } {
  if (attempt.status === undefined)
    return { upgraded: false, detail: `no HTTP answer to the upgrade: ${attempt.error ?? 'connection closed'}` };
  if (attempt.status !== 101)
    return { upgraded: false, detail: `Unexpected server response: ${attempt.status} (no 101 Switching Protocols)` };
  const h = attempt.headers;
  const expectedAccept = createHash('sha1')
    .update(key + WEBSOCKET_GUID)
    .digest('base64');
  const missing: string[] = [];
  if ((h.upgrade ?? '').toLowerCase() !== 'websocket') missing.push('Upgrade: websocket');
  if (!/(^|,)\s*upgrade\s*(,|$)/i.test(h.connection ?? '')) missing.push('Connection: Upgrade');
  if (h['sec-websocket-accept'] !== expectedAccept) missing.push('a matching Sec-WebSocket-Accept');
  if (missing.length) {
    // Node's HTTP parser treats such a 101 as an ordinary response; ws then reports it like this.
    return { upgraded: false, detail: `Unexpected server response: 101 (the 101 lacks ${missing.join(', ')})` };
  }
  if (attempt.chunkedStream) {
    // Seen through nginx: Apache+Passenger wrap the upgraded stream in HTTP chunked framing
    // ("6d\r\n" before each frame), so ws reports "Invalid WebSocket frame: RSV2 and RSV3 must be clear".
    return {
      upgraded: false,
      detail: `101 received but the upgraded stream is HTTP chunk-encoded (${JSON.stringify(attempt.streamStart ?? '')}): WebSocket clients see an invalid frame`,
    };
  }
  if (attempt.firstFrame === undefined) {
    const start = attempt.streamStart ? ` (stream starts ${JSON.stringify(attempt.streamStart)})` : '';
    return {
      upgraded: false,
      detail: `101 received but no valid WebSocket frame followed${start}: ${attempt.error ?? 'connection closed'}`,
    };
  }
  if (!attempt.firstFrame.startsWith('0{'))
    return {
      upgraded: false,
      detail: `101 received but the first frame is not an Engine.IO open packet: ${JSON.stringify(attempt.firstFrame.slice(0, 80))}`,
    };
  return { upgraded: true, detail: 'WebSocket upgrade succeeded and the Engine.IO open packet arrived over it' };
}

function rawUpgrade(target: PublicTarget, path: string, key: string, timeoutMs: number): Promise<RawAttempt> {
  return new Promise((resolve) => {
    const result: RawAttempt = { headers: {} };
    let buffered = Buffer.alloc(0);
    let headDone = false;
    let finished = false;
    const socket: net.Socket =
      target.scheme === 'https'
        ? tls.connect({
            host: target.address,
            port: target.port,
            servername: target.domain,
            rejectUnauthorized: !target.acceptSelfSignedOnTestHost,
          })
        : net.connect({ host: target.address, port: target.port });
    const finish = (error?: string): void => {
      if (finished) return;
      finished = true;
      clearTimeout(timer);
      if (error !== undefined && result.error === undefined) result.error = error;
      if (result.status === 101 && result.firstFrame !== undefined) {
        // Say goodbye properly so the server logs no error, but never wait long for it.
        socket.end(closeFrame());
        setTimeout(() => socket.destroy(), 500).unref();
      } else {
        socket.destroy();
      }
      resolve(result);
    };
    const timer = setTimeout(() => finish(`no complete answer within ${timeoutMs} ms`), timeoutMs);
    socket.once(target.scheme === 'https' ? 'secureConnect' : 'connect', () => {
      socket.write(
        [
          `GET ${path} HTTP/1.1`,
          `Host: ${target.domain}`,
          'Upgrade: websocket',
          'Connection: Upgrade',
          `Sec-WebSocket-Key: ${key}`,
          'Sec-WebSocket-Version: 13',
          'User-Agent: passenger-panel-probe/1',
          '',
          '',
        ].join('\r\n'),
      );
    });
    socket.on('data', (chunk: Buffer) => {
      buffered = Buffer.concat([buffered, chunk]);
      if (!headDone) {
        const end = buffered.indexOf('\r\n\r\n');
        if (end === -1) return;
        headDone = true;
        const [statusLine = '', ...lines] = buffered.subarray(0, end).toString('latin1').split('\r\n');
        result.statusLine = statusLine;
        const status = Number(/^HTTP\/\d\.\d (\d{3})/.exec(statusLine)?.[1]);
        if (!Number.isNaN(status)) result.status = status;
        for (const line of lines) {
          const colon = line.indexOf(':');
          if (colon > 0) result.headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
        }
        buffered = buffered.subarray(end + 4);
        if (result.status !== 101) {
          result.bodyStart = buffered.toString('utf8').slice(0, 200);
          finish();
          return;
        }
      }
      if (buffered.length < 2) return;
      if (buffered[0] !== 0x81) {
        // Not a final text frame: keep the evidence of what arrived instead.
        result.streamStart = buffered.subarray(0, 24).toString('latin1');
        result.chunkedStream = /^[0-9a-fA-F]{1,8}\r\n/.test(result.streamStart);
        finish();
        return;
      }
      const frame = readFramePayload(buffered);
      if (frame !== undefined) {
        result.firstFrame = frame;
        finish();
      }
    });
    socket.on('error', (err) => finish(err.message));
    socket.on('close', () => finish('connection closed'));
  });
}

/** The payload of the first complete server frame (servers never mask), or undefined if incomplete. */
function readFramePayload(bytes: Buffer): string | undefined {
  if (bytes.length < 2) return undefined;
  let length = bytes[1]! & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (bytes.length < 4) return undefined;
    length = bytes.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (bytes.length < 10) return undefined;
    length = Number(bytes.readBigUInt64BE(2));
    offset = 10;
  }
  if (bytes.length < offset + length) return undefined;
  return bytes.subarray(offset, offset + length).toString('utf8');
}

/** A masked close frame (clients must mask), status 1000. */
function closeFrame(): Buffer {
  const mask = randomBytes(4);
  const payload = Buffer.from([0x03, 0xe8]);
  const masked = Buffer.from(payload.map((b, i) => b ^ mask[i % 4]!));
  return Buffer.concat([Buffer.from([0x88, 0x80 | payload.length]), mask, masked]);
}
