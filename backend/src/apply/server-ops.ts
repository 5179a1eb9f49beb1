import type { WebServer } from '../passenger/catalog.js';
import type { ConfigTestResult } from '../plesk/web-server.js';
import { ABSENT, type RemoteFile } from '../ssh/files.js';
import type { VerificationReport, VerifyOptions, VerifyTarget } from '../verify/verifier.js';

// One spelling of "no file" for the engine and the remote write guard alike.
export { ABSENT };

export function shaOf(file: Pick<RemoteFile, 'exists' | 'sha256'>): string {
  return file.exists ? (file.sha256 as string) : ABSENT;
}

/** A state to put a file in: exact bytes, or absent. */
export interface FileState {
  path: string;
  bytes: Buffer | undefined;
  /** sha256 (or ABSENT) the file must still have, checked on the server in the same command as the rename. */
  expectSha256?: string;
}

/**
 * Everything the change engine asks of one server. The real one (ssh-server-ops.ts) is built from ssh/ and
 * plesk/ functions over one SSH session; unit tests pass a scripted one that fails on cue, and host tests
 * wrap the real one to inject faults. Nothing in apply/ or jobs/ reaches the server any other way.
 */
export interface ServerOps {
  readonly name: string;
  /** Exact bytes of each path, one round trip. */
  readFiles(paths: readonly string[]): Promise<RemoteFile[]>;
  /**
   * Puts files into the given states in one command (each written atomically, mode and owner kept; absent
   * ones removed; a new one created as the owner of its folder; guards checked before each rename) and
   * returns the sha256 of what each path now holds.
   */
  putFileStates(states: readonly FileState[]): Promise<Record<string, string>>;
  /** Plesk regeneration for domains whose set of admin files changed (it tests and reloads by itself). */
  regenerate(domains: readonly string[]): Promise<void>;
  configTest(servers: readonly WebServer[]): Promise<ConfigTestResult>;
  reload(server: WebServer): Promise<void>;
  /** The running Passenger instance id, undefined when none answers. */
  passengerInstance(): Promise<string | undefined>;
  webServerUp(server: WebServer): Promise<boolean>;
  startWebServer(server: WebServer): Promise<void>;
  /** The live restart verification of one domain (verify/verifier.ts). */
  verify(target: VerifyTarget, options: VerifyOptions): Promise<VerificationReport>;
}
