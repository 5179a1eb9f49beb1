import { PanelError } from '../errors.js';

/** Something went wrong while proving a domain works; the code says which part. */
export class VerifyError extends PanelError {}

/** A request through the public path got no complete answer in time. */
export class HttpTimeoutError extends VerifyError {
  constructor(what: string, timeoutMs: number) {
    super('http_timeout', `${what} got no complete answer within ${timeoutMs} ms`, {
      hint: 'check that nginx and Apache are running and that the app starts; raise the timeout only if the app is known to be slow',
    });
  }
}

/** The connection itself failed (refused, reset, TLS rejected). */
export class HttpConnectionError extends VerifyError {
  constructor(what: string, cause: unknown) {
    super('http_connection', `${what} failed: ${cause instanceof Error ? cause.message : String(cause)}`, {
      hint: 'check the public address and port, and for https whether the certificate is trusted (self-signed only on a test host)',
      cause,
    });
  }
}

/** The server answered, but not in a way Engine.IO v4 ever answers. */
export class ProbeProtocolError extends VerifyError {
  constructor(message: string) {
    super('probe_protocol', message, {
      hint: 'check the Socket.IO path of the domain (the app may serve it below a sub-URI or a custom `path`) and that the app runs Socket.IO v3 or v4',
    });
  }
}

/** The restarted app did not come back with new processes in time. */
export class RestartTimeoutError extends VerifyError {
  constructor(appRoot: string, timeoutMs: number, lastSeen: string) {
    super('restart_timeout', `app ${appRoot} did not serve from new processes within ${timeoutMs} ms (last seen: ${lastSeen})`, {
      hint: "read the app's output in the Passenger log (lines 'App <pid> output:') to see why it does not start",
    });
  }
}

/** passenger-status or passenger-config could not be run or read on the server. */
export class PassengerCommandError extends VerifyError {
  constructor(command: string, detail: string) {
    super('passenger_command', `${command} failed on the server: ${detail}`, {
      hint: 'check that Passenger is installed and running on the server and that the SSH user may run its tools',
    });
  }
}
