import { createHash, createHmac } from 'node:crypto';

/** OpenSSH-style fingerprint of a raw public key blob: `SHA256:` + unpadded base64 of its SHA-256. */
export function fingerprintOf(keyBlob: Buffer): string {
  return `SHA256:${createHash('sha256').update(keyBlob).digest('base64').replace(/=+$/, '')}`;
}

/** Accepts what people paste (`SHA256:abc=`, surrounding spaces) and returns the canonical form, or undefined. */
export function normalizeFingerprint(text: string): string | undefined {
  const match = /^\s*SHA256:([A-Za-z0-9+/]{43})=?\s*$/.exec(text);
  return match ? `SHA256:${match[1]}` : undefined;
}

/** The algorithm name embedded at the start of an SSH public key blob (`ssh-ed25519`, `ssh-rsa`, ...). */
export function keyTypeOf(keyBlob: Buffer): string | undefined {
  if (keyBlob.length < 4) return undefined;
  const len = keyBlob.readUInt32BE(0);
  if (len <= 0 || len > 64 || 4 + len > keyBlob.length) return undefined;
  return keyBlob.subarray(4, 4 + len).toString('latin1');
}

export interface KnownHostEntry {
  marker: 'revoked' | 'cert-authority' | undefined;
  patterns: string;
  keyType: string;
  key: Buffer;
  line: number;
}

/** Parses a known_hosts file; lines it cannot read are skipped, like OpenSSH does. */
export function parseKnownHosts(text: string): KnownHostEntry[] {
  const entries: KnownHostEntry[] = [];
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority') {
      marker = fields[0] === '@revoked' ? 'revoked' : 'cert-authority';
      fields.shift();
    }
    const [patterns, keyType, keyBase64] = fields;
    if (!patterns || !keyType || !keyBase64) return;
    const key = Buffer.from(keyBase64, 'base64');
    if (key.length === 0 || keyTypeOf(key) !== keyType) return;
    entries.push({ marker, patterns, keyType, key, line: index + 1 });
  });
  return entries;
}

/** The name OpenSSH records for a host: plain on port 22, `[host]:port` otherwise. */
export function knownHostsName(host: string, port: number): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

function globToRegExp(glob: string): RegExp {
  const escaped = glob
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${escaped}$`, 'i');
}

function hashedNameMatches(pattern: string, name: string): boolean {
  // |1|base64(salt)|base64(HMAC-SHA1(salt, name)) as written by `ssh-keygen -H` / HashKnownHosts.
  const parts = pattern.split('|');
  if (parts.length !== 4 || parts[1] !== '1' || !parts[2] || !parts[3]) return false;
  const salt = Buffer.from(parts[2], 'base64');
  const expected = Buffer.from(parts[3], 'base64');
  const actual = createHmac('sha1', salt).update(name).digest();
  return expected.length === actual.length && expected.equals(actual);
}

/** Whether a known_hosts pattern list (comma separated, globs, `!negation`, hashed names) covers host:port. */
export function patternsMatch(patterns: string, host: string, port: number): boolean {
  const name = knownHostsName(host, port);
  if (patterns.startsWith('|')) return hashedNameMatches(patterns, name);
  let matched = false;
  for (const pattern of patterns.split(',')) {
    const negated = pattern.startsWith('!');
    const body = negated ? pattern.slice(1) : pattern;
    if (globToRegExp(body).test(name)) {
      if (negated) return false;
      matched = true;
    }
  }
  return matched;
}

// Host key algorithms to offer for each key type, so the server presents a key we actually pinned.
const ALGORITHMS_FOR_KEY_TYPE: Record<string, string[]> = {
  'ssh-ed25519': ['ssh-ed25519'],
  'ecdsa-sha2-nistp256': ['ecdsa-sha2-nistp256'],
  'ecdsa-sha2-nistp384': ['ecdsa-sha2-nistp384'],
  'ecdsa-sha2-nistp521': ['ecdsa-sha2-nistp521'],
  'ssh-rsa': ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'],
};

export interface HostKeyPin {
  host: string;
  port: number;
  /** Fingerprint the key must have, canonical form. */
  fingerprint?: string | undefined;
  /** known_hosts entries already parsed (the file is read by the caller). */
  knownHosts?: KnownHostEntry[] | undefined;
  knownHostsPath?: string | undefined;
}

export type HostKeyDecision = { ok: true; fingerprint: string } | { ok: false; fingerprint: string; reason: string };

/**
 * Decides whether a presented host key is acceptable. Every configured pin must agree:
 * a fingerprint pin must match exactly, a known_hosts pin must list this key for this host:port
 * and must not mark it @revoked. With no pin at all, nothing is accepted.
 */
export function checkHostKey(pin: HostKeyPin, keyBlob: Buffer): HostKeyDecision {
  const fingerprint = fingerprintOf(keyBlob);
  const hostName = knownHostsName(pin.host, pin.port);
  if (!pin.fingerprint && !pin.knownHosts) {
    return { ok: false, fingerprint, reason: `no host key is pinned for ${hostName}` };
  }
  if (pin.fingerprint && pin.fingerprint !== fingerprint) {
    return { ok: false, fingerprint, reason: `${hostName} presented ${fingerprint} but the pinned fingerprint is ${pin.fingerprint}` };
  }
  if (pin.knownHosts) {
    const forHost = pin.knownHosts.filter((e) => e.marker !== 'cert-authority' && patternsMatch(e.patterns, pin.host, pin.port));
    const where = pin.knownHostsPath ?? 'known_hosts';
    if (forHost.some((e) => e.marker === 'revoked' && e.key.equals(keyBlob))) {
      return { ok: false, fingerprint, reason: `${hostName} presented ${fingerprint}, which ${where} marks @revoked` };
    }
    const listed = forHost.filter((e) => e.marker === undefined);
    if (!listed.some((e) => e.key.equals(keyBlob))) {
      const reason =
        listed.length === 0
          ? `${hostName} presented ${fingerprint} but ${where} has no key for this host`
          : `${hostName} presented ${fingerprint}, which differs from the key(s) in ${where} (${listed.map((e) => fingerprintOf(e.key)).join(', ')}): the host key changed`;
      return { ok: false, fingerprint, reason };
    }
  }
  return { ok: true, fingerprint };
}

/** Host key algorithms to offer given the pinned known_hosts keys (undefined: keep ssh2's defaults). */
export function hostKeyAlgorithmsFor(pin: HostKeyPin): string[] | undefined {
  if (!pin.knownHosts) return undefined;
  const types = new Set(
    pin.knownHosts.filter((e) => e.marker === undefined && patternsMatch(e.patterns, pin.host, pin.port)).map((e) => e.keyType),
  );
  const algorithms = [...types].flatMap((t) => ALGORITHMS_FOR_KEY_TYPE[t] ?? []);
  return algorithms.length > 0 ? algorithms : undefined;
}
