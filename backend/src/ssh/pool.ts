import { DEFAULT_SSH_OPTIONS, SshSession, type SshSessionOptions, type SshTarget } from './session.js';

export interface SessionStats {
  server: string;
  connected: boolean;
  execCount: number;
  connectCount: number;
  hostKeyFingerprint: string | undefined;
}

function sameTarget(a: SshTarget, b: SshTarget): boolean {
  return (
    a.host === b.host &&
    a.port === b.port &&
    a.username === b.username &&
    a.privateKeyPath === b.privateKeyPath &&
    a.knownHostsPath === b.knownHostsPath &&
    a.hostKeyFingerprint === b.hostKeyFingerprint
  );
}

/**
 * One SshSession per server name, shared by every module. Sessions reconnect on their own when their
 * connection dropped; a server whose connection settings changed gets a fresh session.
 */
export class SessionPool {
  private readonly sessions = new Map<string, SshSession>();
  private readonly options: SshSessionOptions;
  // Commands of sessions that were replaced or closed, so counts per server survive a replacement.
  private readonly retiredExecs = new Map<string, number>();

  constructor(options: Partial<SshSessionOptions> = {}) {
    this.options = { ...DEFAULT_SSH_OPTIONS, ...options };
  }

  /** The connected session for a server (connecting or reconnecting as needed). */
  async get(server: SshTarget): Promise<SshSession> {
    const session = this.session(server);
    await session.connect();
    return session;
  }

  /** The session for a server without connecting (it connects on its first exec). */
  session(server: SshTarget): SshSession {
    let session = this.sessions.get(server.name);
    if (session && !sameTarget(session.target, server)) {
      this.retire(session);
      session = undefined;
    }
    if (!session) {
      session = new SshSession(server, this.options);
      this.sessions.set(server.name, session);
    }
    return session;
  }

  private retire(session: SshSession): void {
    this.retiredExecs.set(session.name, (this.retiredExecs.get(session.name) ?? 0) + session.execCount);
    session.close();
    this.sessions.delete(session.name);
  }

  /** Remote commands run for one server, or for all servers when no name is given. */
  execCount(serverName?: string): number {
    if (serverName !== undefined) {
      return (this.sessions.get(serverName)?.execCount ?? 0) + (this.retiredExecs.get(serverName) ?? 0);
    }
    let total = 0;
    for (const s of this.sessions.values()) total += s.execCount;
    for (const n of this.retiredExecs.values()) total += n;
    return total;
  }

  stats(): SessionStats[] {
    return [...this.sessions.values()].map((s) => ({
      server: s.name,
      connected: s.isConnected(),
      execCount: s.execCount,
      connectCount: s.connectCount,
      hostKeyFingerprint: s.hostKeyFingerprint,
    }));
  }

  /** Closes one server's session (e.g. after its config was removed). */
  close(serverName: string): void {
    const session = this.sessions.get(serverName);
    if (session) this.retire(session);
  }

  closeAll(): void {
    for (const session of [...this.sessions.values()]) this.retire(session);
  }
}
