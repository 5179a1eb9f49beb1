/** What the Engine.IO overlap probe takes and what it reports (engineio-probe.ts runs it). */
import type { CookieDecision, CookieJar, CookieMode } from './cookie-jar.js';
import type { EngineError } from './engineio-packets.js';

export interface ProbeOptions {
  /** Socket.IO path of the app, default '/socket.io/'. */
  socketIoPath?: string;
  /** Overlap rounds, default 10. */
  rounds?: number;
  /** Which cookie rules to apply, default 'browser'. Ignored when `jar` is given. */
  cookieMode?: CookieMode;
  jar?: CookieJar;
  /** Passenger's sticky cookie name, default '_passenger_route'. */
  stickyCookieName?: string;
  /** How long the GET is held before the POST is sent, default 100 ms. */
  holdMs?: number;
  /** Timeout of each request, including a held GET, default 10 000 ms. */
  requestTimeoutMs?: number;
  /** The page that runs the client is on another site (SameSite then matters), default false. */
  crossSite?: boolean;
  /** Reuse connections (default true, as browsers do). */
  keepAlive?: boolean;
}

export type ProbePhase = 'handshake' | 'connect-post' | 'connect-get' | 'hold-get' | 'probe-post' | 'pong-post';

/** One response the probe got, in the order they completed. */
export interface ProbeRequestRecord {
  round: number;
  phase: ProbePhase;
  method: 'GET' | 'POST';
  status: number;
  /** Epoch ms when it was sent and how long the answer took. */
  startedAt: number;
  ms: number;
  /** The sticky cookie went with this request. */
  stickyCookieSent: boolean;
  sid?: string;
  /** Engine.IO's error body for 400/403, e.g. code 1 "Session ID unknown". */
  error?: EngineError;
  /** A body that is neither expected nor an Engine.IO error (first 200 characters). */
  unexpected?: string;
}

export interface ProbeRound {
  index: number;
  ok: boolean;
  /** The session had to be opened again first (the previous round lost it). */
  newSession: boolean;
  sid?: string;
  ms: number;
  /** Why the round failed, in one line. */
  failure?: string;
}

export interface ProbeResult {
  ok: boolean;
  domain: string;
  url: string;
  rounds: number;
  /** Rounds that did not get their answer. */
  failures: number;
  /** Responses with status 400 (the symptom users see). */
  badRequests: number;
  /** Every response status, in completion order. */
  statuses: number[];
  /** Engine.IO error bodies seen, e.g. [{code:1,message:'Session ID unknown'}]. */
  errors: EngineError[];
  roundResults: ProbeRound[];
  requests: ProbeRequestRecord[];
  /** Sessions opened (1 when nothing went wrong). */
  sessions: number;
  cookieMode: CookieMode;
  /** The raw sticky Set-Cookie line, when the server sent one. */
  cookieSeen?: string;
  /** What the jar did with it (a browser drops a Secure cookie on http). */
  cookieDecision?: CookieDecision;
  /** The sticky cookie went back to the server with at least one request. */
  cookieSent: boolean;
  /** Problems that are not a 400 (wrong path, app down, timeouts), one line each. */
  problems: string[];
  startedAt: string;
  durationMs: number;
}
