import type { SshTarget } from '../ssh/session.js';

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
