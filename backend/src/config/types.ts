/** One managed server, as every module sees it (the SSH layer uses the connection part). */
export interface ServerConfig {
  name: string;
  host: string;
  port: number;
  username: string;
  privateKeyPath: string;
  /** OpenSSH known_hosts file holding this server's host key. */
  knownHostsPath?: string | undefined;
  /** Pinned host key, `SHA256:<base64>` as printed by `ssh-keygen -l`. */
  hostKeyFingerprint?: string | undefined;
  /** Socket.IO path per domain when an app does not use the default `/socket.io/`. */
  socketIoPaths?: Record<string, string> | undefined;
}

/** Where a server definition came from: the config file wins over the store; the demo host is the fallback. */
export type ServerSource = 'config' | 'store' | 'demo';

export interface ServerEntry extends ServerConfig {
  source: ServerSource;
}
