import { setTimeout as delay } from 'node:timers/promises';
import { createCookieJar, type CookieDecision, type CookieJar, type CookieMode } from './cookie-jar.js';
import type { ProbeOptions, ProbePhase, ProbeRequestRecord, ProbeResult, ProbeRound } from './engineio-probe-types.js';
import {
  connectRequest,
  decodePayload,
  encodeTextPacket,
  parseEngineError,
  parseOpenPacket,
  SocketPacketType,
  socketPacketsOf,
} from './engineio-packets.js';
import { PublicHttpClient, publicUrl, type HttpResponse, type PublicTarget } from './http-client.js';
import { ValidationError } from '../errors.js';

/**
 * The Engine.IO overlap probe (field-notes §1.1, §4). Sequential requests all land on the
 * first process, so a plain check never sees the 400; a browser, though, keeps a long-poll
 * GET open while it POSTs. The probe does exactly that, N times, with browser cookie rules,
 * and never has two GETs pending on one session (that alone would close the session).
 */

export type { ProbeOptions, ProbePhase, ProbeRequestRecord, ProbeResult, ProbeRound } from './engineio-probe-types.js';

const DEFAULTS = {
  socketIoPath: '/socket.io/',
  rounds: 10,
  cookieMode: 'browser' as CookieMode,
  stickyCookieName: '_passenger_route',
  holdMs: 100,
  requestTimeoutMs: 10_000,
};

/** Most polls a round makes before it gives up waiting for its answer (pings may come first). */
const MAX_POLLS_PER_ROUND = 3;

class RoundFailure extends Error {}

export async function runOverlapProbe(target: PublicTarget, options: ProbeOptions = {}): Promise<ProbeResult> {
  const rounds = options.rounds ?? DEFAULTS.rounds;
  if (!Number.isInteger(rounds) || rounds < 1 || rounds > 1000) {
    throw new ValidationError(`rounds must be an integer 1-1000, got ${rounds}`, { field: 'rounds' });
  }
  const path = normaliseSocketIoPath(options.socketIoPath ?? DEFAULTS.socketIoPath);
  const client = new PublicHttpClient(target, {
    keepAlive: options.keepAlive ?? true,
    timeoutMs: options.requestTimeoutMs ?? DEFAULTS.requestTimeoutMs,
  });
  const probe = new OverlapProbe(client, target, path, rounds, options);
  try {
    return await probe.run();
  } finally {
    client.close();
  }
}

/** '/live/socket.io' and '/live/socket.io/' both mean '/live/socket.io/'. */
export function normaliseSocketIoPath(path: string): string {
  if (!path.startsWith('/') || /[?#\s]/.test(path)) {
    throw new ValidationError(`Socket.IO path must start with '/' and hold no query: ${JSON.stringify(path)}`, { field: 'socketIoPath' });
  }
  return path.endsWith('/') ? path : `${path}/`;
}

class OverlapProbe {
  private readonly jar: CookieJar;
  private readonly stickyName: string;
  private readonly holdMs: number;
  private readonly requests: ProbeRequestRecord[] = [];
  private readonly problems: string[] = [];
  private sid: string | undefined;
  private sessions = 0;
  private cookieSeen: string | undefined;
  private cookieDecision: CookieDecision | undefined;
  private cookieSent = false;

  constructor(
    private readonly client: PublicHttpClient,
    private readonly target: PublicTarget,
    private readonly path: string,
    private readonly rounds: number,
    private readonly options: ProbeOptions,
  ) {
    this.jar = options.jar ?? createCookieJar(options.cookieMode ?? DEFAULTS.cookieMode);
    this.stickyName = options.stickyCookieName ?? DEFAULTS.stickyCookieName;
    this.holdMs = options.holdMs ?? DEFAULTS.holdMs;
  }

  async run(): Promise<ProbeResult> {
    const started = Date.now();
    const roundResults: ProbeRound[] = [];
    for (let index = 1; index <= this.rounds; index++) {
      roundResults.push(await this.runRound(index));
    }
    const statuses = this.requests.map((r) => r.status);
    const failures = roundResults.filter((r) => !r.ok).length;
    const badRequests = statuses.filter((s) => s === 400).length;
    return {
      ok: failures === 0 && badRequests === 0,
      domain: this.target.domain,
      url: publicUrl(this.target, this.path).href,
      rounds: this.rounds,
      failures,
      badRequests,
      statuses,
      errors: this.requests.flatMap((r) => (r.error ? [r.error] : [])),
      roundResults,
      requests: this.requests,
      sessions: this.sessions,
      cookieMode: this.jar.mode,
      ...(this.cookieSeen === undefined ? {} : { cookieSeen: this.cookieSeen }),
      ...(this.cookieDecision === undefined ? {} : { cookieDecision: this.cookieDecision }),
      cookieSent: this.cookieSent,
      problems: this.problems,
      startedAt: new Date(started).toISOString(),
      durationMs: Date.now() - started,
    };
  }

  private async runRound(index: number): Promise<ProbeRound> {
    const started = Date.now();
    const newSession = this.sid === undefined;
    const result = (ok: boolean, failure?: string): ProbeRound => ({
      index,
      ok,
      newSession,
      ...(this.sid === undefined ? {} : { sid: this.sid }),
      ms: Date.now() - started,
      ...(failure === undefined ? {} : { failure }),
    });
    try {
      if (newSession) await this.openSession(index);
      await this.overlap(index);
      return result(true);
    } catch (err) {
      const failure = err instanceof Error ? err.message : String(err);
      const round = result(false, failure);
      // A failed round leaves the session unusable, as it does in a browser, which reconnects.
      this.sid = undefined;
      if (!(err instanceof RoundFailure)) this.problems.push(`round ${index}: ${failure}`);
      return round;
    }
  }

  /** Handshake, then connect to the main namespace (POST `40`, GET answers `40{...}`). */
  private async openSession(round: number): Promise<void> {
    this.sessions++;
    const handshake = await this.send(round, 'handshake', 'GET');
    this.expectStatus(handshake, 'handshake');
    let sid: string;
    try {
      sid = parseOpenPacket(handshake.response.body).sid;
    } catch (err) {
      throw new Error(`handshake did not return an Engine.IO open packet (is ${this.path} the Socket.IO path?): ${(err as Error).message}`);
    }
    this.sid = sid;
    const post = await this.send(round, 'connect-post', 'POST', connectRequest('/'));
    this.expectPostOk(post, 'connect POST');
    await this.pollUntil(
      round,
      'connect-get',
      (body) => socketPacketsOf(body).some((p) => p.nsp === '/' && p.type === SocketPacketType.CONNECT),
      'connect answer',
    );
  }

  /** One overlap: a GET held open, a POST sent meanwhile, the GET must bring the POST's answer. */
  private async overlap(round: number): Promise<void> {
    const namespace = `/probe${round}`;
    const heldGet = this.startSend(round, 'hold-get', 'GET');
    await heldGet.sent;
    await delay(this.holdMs);
    if (heldGet.settled()) {
      // The GET came back before the POST (a ping, or an error): judge it first.
      const early = await heldGet.done;
      this.expectStatus(early, 'held GET');
    }
    let post: Sent;
    try {
      post = await this.send(round, 'probe-post', 'POST', connectRequest(namespace));
    } catch (err) {
      heldGet.abort();
      throw err;
    }
    if (post.response.status !== 200 || post.response.body !== 'ok') {
      // The GET still waits on the other process; closing it ends that session, as a browser's
      // reconnect would.
      heldGet.abort();
      await heldGet.done.catch(() => undefined);
      this.expectPostOk(post, 'probe POST');
    }
    const answered = (body: string): boolean =>
      socketPacketsOf(body).some(
        (p) => p.nsp === namespace && (p.type === SocketPacketType.CONNECT_ERROR || p.type === SocketPacketType.CONNECT),
      );
    const first = await heldGet.done;
    this.expectStatus(first, 'held GET');
    if (answered(first.response.body)) return;
    await this.answerPings(round, first.response.body);
    await this.pollUntil(round, 'hold-get', answered, `answer for ${namespace}`, MAX_POLLS_PER_ROUND - 1);
  }

  /** GETs until `done(body)` holds, answering pings on the way; bounded. */
  private async pollUntil(
    round: number,
    phase: ProbePhase,
    done: (body: string) => boolean,
    what: string,
    polls = MAX_POLLS_PER_ROUND,
  ): Promise<void> {
    for (let i = 0; i < polls; i++) {
      const get = await this.send(round, phase, 'GET');
      this.expectStatus(get, phase);
      if (done(get.response.body)) return;
      await this.answerPings(round, get.response.body);
    }
    throw new Error(`no ${what} after ${polls} polls`);
  }

  private async answerPings(round: number, body: string): Promise<void> {
    const packets = decodePayload(body);
    if (packets.some((p) => p.type === 'close')) throw new Error('the server closed the session');
    for (const p of packets.filter((p) => p.type === 'ping')) {
      const pong = await this.send(round, 'pong-post', 'POST', encodeTextPacket('pong', typeof p.data === 'string' ? p.data : undefined));
      this.expectPostOk(pong, 'pong POST');
    }
  }

  private expectStatus(sent: Sent, what: string): void {
    const { status, body } = sent.response;
    if (status === 200) return;
    const error = parseEngineError(body);
    if (status === 400 || status === 403) {
      throw new RoundFailure(`${what} answered ${status}${error ? ` ${JSON.stringify(error)}` : ''}`);
    }
    throw new Error(`${what} answered HTTP ${status}: ${oneLine(body)}`);
  }

  private expectPostOk(sent: Sent, what: string): void {
    this.expectStatus(sent, what);
    if (sent.response.body !== 'ok') throw new Error(`${what} answered 200 but not 'ok': ${oneLine(sent.response.body)}`);
  }

  private async send(round: number, phase: ProbePhase, method: 'GET' | 'POST', body?: string): Promise<Sent> {
    return this.startSend(round, phase, method, body).done;
  }

  /** Starts one request with the jar's cookies; the record is kept when the answer arrives. */
  private startSend(round: number, phase: ProbePhase, method: 'GET' | 'POST', body?: string): PendingSend {
    const query = new URLSearchParams({ EIO: '4', transport: 'polling', t: cacheBuster() });
    if (this.sid !== undefined && phase !== 'handshake') query.set('sid', this.sid);
    const requestPath = `${this.path}?${query.toString()}`;
    const url = publicUrl(this.target, requestPath);
    const context = { method, crossSite: this.options.crossSite ?? false };
    const cookie = this.jar.header(url, context);
    const stickyCookieSent = cookie?.split('; ').some((c) => c.startsWith(`${this.stickyName}=`)) === true;
    if (stickyCookieSent) this.cookieSent = true;
    const headers: Record<string, string> = { Accept: '*/*', 'User-Agent': 'passenger-panel-probe/1' };
    if (cookie !== undefined) headers.Cookie = cookie;
    if (body !== undefined) headers['Content-Type'] = 'text/plain;charset=UTF-8';
    const controller = new AbortController();
    let sentResolve!: () => void;
    const sent = new Promise<void>((resolve) => (sentResolve = resolve));
    let settled = false;
    const sid = this.sid;
    const done = this.client
      .request({
        method,
        path: requestPath,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: controller.signal,
        onSent: sentResolve,
      })
      .then((response) => {
        this.noteCookies(url, response, context);
        const error = response.status === 200 ? undefined : parseEngineError(response.body);
        this.requests.push({
          round,
          phase,
          method,
          status: response.status,
          startedAt: response.startedAt,
          ms: response.endedAt - response.startedAt,
          stickyCookieSent,
          ...(sid === undefined ? {} : { sid }),
          ...(error ? { error } : {}),
          ...(response.status !== 200 && !error ? { unexpected: response.body.slice(0, 200) } : {}),
        });
        return { response };
      })
      .finally(() => {
        settled = true;
        sentResolve();
      });
    // A request that fails before it is written still unblocks whoever waits for `sent`.
    done.catch(() => undefined);
    return { done, sent, settled: () => settled, abort: () => controller.abort() };
  }

  private noteCookies(url: URL, response: HttpResponse, context: { method: string; crossSite: boolean }): void {
    if (response.setCookies.length === 0) return;
    const decisions = this.jar.store(url, response.setCookies, context);
    const sticky = decisions.find((d) => d.name === this.stickyName);
    if (sticky && this.cookieSeen === undefined) {
      this.cookieSeen = sticky.raw;
      this.cookieDecision = sticky;
    }
  }
}

interface Sent {
  response: HttpResponse;
}

interface PendingSend {
  done: Promise<Sent>;
  sent: Promise<void>;
  settled(): boolean;
  abort(): void;
}

function cacheBuster(): string {
  return Date.now().toString(36) + Math.floor(Math.random() * 1296).toString(36);
}

function oneLine(text: string): string {
  return JSON.stringify(text.replace(/\s+/g, ' ').slice(0, 160));
}

export interface HandshakeCheck {
  ok: boolean;
  status?: number;
  sid?: string;
  detail: string;
  ms: number;
}

/**
 * One Engine.IO handshake through the public path: the cheapest request that proves the app
 * itself (not only the web server) answers, whatever routes the app defines.
 */
export async function checkHandshake(
  target: PublicTarget,
  options: { socketIoPath?: string; timeoutMs?: number } = {},
): Promise<HandshakeCheck> {
  const path = normaliseSocketIoPath(options.socketIoPath ?? DEFAULTS.socketIoPath);
  const client = new PublicHttpClient(target, { keepAlive: false, timeoutMs: options.timeoutMs ?? 5_000 });
  const started = Date.now();
  try {
    const response = await client.request({ method: 'GET', path: `${path}?EIO=4&transport=polling&t=${cacheBuster()}` });
    const ms = Date.now() - started;
    if (response.status !== 200)
      return { ok: false, status: response.status, detail: `handshake answered HTTP ${response.status}: ${oneLine(response.body)}`, ms };
    const open = parseOpenPacket(response.body);
    return { ok: true, status: 200, sid: open.sid, detail: 'handshake answered with an Engine.IO open packet', ms };
  } catch (err) {
    return { ok: false, detail: `handshake failed: ${err instanceof Error ? err.message : String(err)}`, ms: Date.now() - started };
  } finally {
    client.close();
  }
}
