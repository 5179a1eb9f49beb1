/**
 * What the SSH layer needs to know about a server. Declared here, below every layer, so config/ (which
 * the store imports) depends on no layer; ssh/session.ts re-exports it.
 */
export interface SshTarget {
  name: string;
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  knownHostsPath?: string | undefined;
  hostKeyFingerprint?: string | undefined;
}

/**
 * One managed server, as every module sees it: the SSH connection part (name, host, port, user, key,
 * pinned host key via `knownHostsPath` and/or `hostKeyFingerprint` `SHA256:<base64>`) plus what the panel
 * needs beyond the connection.
 */
export interface ServerConfig extends SshTarget {
  /** Socket.IO path per domain when an app does not use the default `/socket.io/`. */
  socketIoPaths?: Record<string, string> | undefined;
}

export type ServerSource = 'config' | 'store' | 'demo';

export interface ServerEntry extends ServerConfig {
  source: ServerSource;
}
