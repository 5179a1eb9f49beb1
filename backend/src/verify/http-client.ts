import http from 'node:http';
import https from 'node:https';
import { HttpConnectionError, HttpTimeoutError } from './errors.js';
import { ValidationError } from '../errors.js';

/**
 * Where a domain is reached the way a browser reaches it: through the server's front web
 * server (nginx in Plesk's default setup), selected by the Host header, not by the address.
 */
export interface PublicTarget {
  /** The site's name: sent as Host (and as SNI on https). */
  domain: string;
  scheme: 'http' | 'https';
  /** Address the TCP connection goes to, e.g. 127.0.0.1 on the test host. */
  address: string;
  port: number;
  /**
   * Accept a certificate nobody vouches for. Only for a test host with a self-signed
   * certificate, and only on a loopback address; never for a real server.
   */
  acceptSelfSignedOnTestHost?: boolean;
}

export interface HttpClientOptions {
  /** Reuse connections like a browser does (default true). */
  keepAlive?: boolean;
  /** Connections open at once to the target (default 6, as browsers allow per host). */
  maxSockets?: number;
  /** Default whole-request timeout (connect, send, headers and body), default 30 000 ms. */
  timeoutMs?: number;
}

export interface HttpRequestSpec {
  method: 'GET' | 'POST' | 'HEAD';
  /** Path plus query string, starting with '/'. */
  path: string;
  headers?: Record<string, string>;
  body?: string;
  timeoutMs?: number;
  /** Aborts the request; the promise then rejects with an AbortError. */
  signal?: AbortSignal;
  /** Called once the request has been written to the socket completely. */
  onSent?: () => void;
}

export interface HttpResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  /** Every Set-Cookie header line, in order. */
  setCookies: string[];
  body: string;
  /** Epoch ms when the request was started and when the body was complete. */
  startedAt: number;
  endedAt: number;
}

const LOOPBACK = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|::1|localhost)$/;

/** The URL a browser would show for this request; cookie rules are decided on it (cookies ignore ports). */
export function publicUrl(target: PublicTarget, path: string): URL {
  return new URL(`${target.scheme}://${target.domain}${path}`);
}

/**
 * A small HTTP(S) client bound to one public target. It keeps its own agent so that the
 * caller decides about keep-alive, and so that close() ends exactly its own connections.
 */
export class PublicHttpClient {
  readonly target: PublicTarget;
  private readonly agent: http.Agent;
  private readonly timeoutMs: number;

  constructor(target: PublicTarget, options: HttpClientOptions = {}) {
    if (!target.domain || /[\s/:]/.test(target.domain)) {
      throw new ValidationError(`not a domain name: ${JSON.stringify(target.domain)}`, { field: 'domain' });
    }
    if (!Number.isInteger(target.port) || target.port < 1 || target.port > 65535) {
      throw new ValidationError(`port must be 1-65535, got ${target.port}`, { field: 'port' });
    }
    if (target.acceptSelfSignedOnTestHost && !LOOPBACK.test(target.address)) {
      throw new ValidationError(`self-signed certificates are accepted only for a test host on loopback, not ${target.address}`, {
        field: 'acceptSelfSignedOnTestHost',
        hint: 'install a trusted certificate on the server, or probe over http for a site that is served only on http',
      });
    }
    this.target = target;
    this.timeoutMs = options.timeoutMs ?? 30_000;
    const agentOptions = { keepAlive: options.keepAlive ?? true, maxSockets: options.maxSockets ?? 6 };
    this.agent =
      target.scheme === 'https'
        ? new https.Agent({
            ...agentOptions,
            servername: target.domain,
            rejectUnauthorized: !target.acceptSelfSignedOnTestHost,
          })
        : new http.Agent(agentOptions);
  }

  request(spec: HttpRequestSpec): Promise<HttpResponse> {
    const timeoutMs = spec.timeoutMs ?? this.timeoutMs;
    const what = `${spec.method} ${this.target.scheme}://${this.target.domain}${spec.path}`;
    const headers: Record<string, string | number> = { Host: this.target.domain, ...spec.headers };
    if (spec.body !== undefined) headers['Content-Length'] = Buffer.byteLength(spec.body);
    const transport = this.target.scheme === 'https' ? https : http;
    const startedAt = Date.now();

    return new Promise<HttpResponse>((resolve, reject) => {
      let settled = false;
      const finish = (err: Error | null, res?: HttpResponse): void => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        if (err) reject(err);
        else resolve(res!);
      };
      const req = transport.request({
        host: this.target.address,
        port: this.target.port,
        method: spec.method,
        path: spec.path,
        headers,
        agent: this.agent,
        signal: spec.signal,
      });
      const timer = setTimeout(() => {
        finish(new HttpTimeoutError(what, timeoutMs));
        req.destroy();
      }, timeoutMs);
      req.on('error', (err) => finish(err.name === 'AbortError' ? err : new HttpConnectionError(what, err)));
      req.on('finish', () => spec.onSent?.());
      req.on('response', (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (err) => finish(new HttpConnectionError(what, err)));
        res.on('end', () =>
          finish(null, {
            status: res.statusCode ?? 0,
            headers: res.headers,
            setCookies: res.headers['set-cookie'] ?? [],
            body: Buffer.concat(chunks).toString('utf8'),
            startedAt,
            endedAt: Date.now(),
          }),
        );
      });
      req.end(spec.body);
    });
  }

  /** Ends every connection this client opened. */
  close(): void {
    this.agent.destroy();
  }
}
