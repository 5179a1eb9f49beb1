import { createHmac, timingSafeEqual } from 'node:crypto';
import { readFileSync, statSync } from 'node:fs';
import { z } from 'zod';
import { AuthError } from './errors.js';

/**
 * Tokens minted by the Plesk extension (plesk-ext/plib/library/Token.php) and accepted here.
 * Wire form: `pp1.<base64url(JSON claims)>.<base64url(HMAC-SHA256(secret, "pp1." + claims part))>`.
 * The PHP side and this file must agree byte for byte; the cross-language test keeps them honest.
 */
export const TOKEN_PREFIX = 'pp1';

/** Longest life a token may claim. It only carries the user from Plesk to the panel once, so minutes are plenty. */
export const MAX_TOKEN_LIFETIME_SECONDS = 300;

/** A reseller's token lists every domain; 600k characters covers some 20,000 names. */
export const MAX_TOKEN_LENGTH = 600_000;

/** Clock difference between the PHP host and the backend we tolerate on `iat`. */
const CLOCK_SKEW_SECONDS = 30;

const domainName = z
  .string()
  .min(1)
  .max(253)
  .regex(/^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/, 'not a lower-case host name');

export const roleSchema = z.enum(['admin', 'reseller', 'customer']);
export type Role = z.infer<typeof roleSchema>;

export const tokenClaimsSchema = z
  .object({
    v: z.literal(1),
    iss: z.literal('plesk'),
    sub: z.string().min(1).max(255),
    role: roleSchema,
    /** '*' (admins only) or the exact domains the user may manage. */
    domains: z.union([z.literal('*'), z.array(domainName).max(100_000)]),
    /** The domain whose button was clicked, if any; must be one of `domains`. */
    open: domainName.nullable(),
    iat: z.number().int().nonnegative(),
    exp: z.number().int().positive(),
    jti: z.string().regex(/^[0-9a-f]{32}$/),
  })
  .strict()
  .superRefine((claims, ctx) => {
    if (claims.domains === '*' && claims.role !== 'admin') {
      ctx.addIssue({ code: 'custom', path: ['domains'], message: 'only admins may hold every domain' });
    }
    if (claims.open !== null && claims.domains !== '*' && !claims.domains.includes(claims.open)) {
      ctx.addIssue({ code: 'custom', path: ['open'], message: 'the opened domain is not among the allowed domains' });
    }
  });

export type TokenClaims = z.infer<typeof tokenClaimsSchema>;

/** Reads the shared secret written by the extension's post-install script (hex, at least 32 bytes). */
export function readTokenSecret(path: string): Buffer {
  let text: string;
  try {
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      throw new AuthError('secret_file_mode', `The token secret ${path} is readable by others (mode ${mode.toString(8)}).`, {
        hint: `run: chmod 600 ${path}`,
      });
    }
    text = readFileSync(path, 'utf8');
  } catch (err) {
    if (err instanceof AuthError) throw err;
    throw new AuthError('secret_missing', `Cannot read the token secret ${path}.`, {
      hint: 'reinstall the Plesk extension (its post-install script creates the secret) or pass --token-secret-file',
      cause: err,
    });
  }
  return parseTokenSecret(text.trim());
}

export function parseTokenSecret(hex: string): Buffer {
  if (!/^[0-9a-f]{64,}$/i.test(hex) || hex.length % 2 !== 0) {
    throw new AuthError('secret_invalid', 'The token secret must be at least 32 bytes written as hex.', {
      hint: 'create it with: head -c 32 /dev/urandom | xxd -p -c 64',
    });
  }
  return Buffer.from(hex, 'hex');
}

function sign(secret: Buffer, signedPart: string): Buffer {
  return createHmac('sha256', secret).update(signedPart, 'utf8').digest();
}

/** Creates a token the way Token.php does; the backend uses it only in tests and for standalone admin tokens. */
export function mintToken(secret: Buffer, claims: TokenClaims): string {
  const body = Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url');
  const signedPart = `${TOKEN_PREFIX}.${body}`;
  return `${signedPart}.${sign(secret, signedPart).toString('base64url')}`;
}

/**
 * Checks signature (constant time), shape and lifetime, and returns the claims.
 * Every refusal is an AuthError with a code the tests and logs can tell apart; the token itself is never echoed.
 */
export function verifyToken(token: string, secret: Buffer, nowSeconds = Math.floor(Date.now() / 1000)): TokenClaims {
  if (token.length > MAX_TOKEN_LENGTH) throw new AuthError('token_malformed', 'The Plesk token is too long.');
  const parts = token.split('.');
  if (parts.length !== 3 || parts[0] !== TOKEN_PREFIX || !parts[1] || !parts[2]) {
    throw new AuthError('token_malformed', 'The Plesk token is not in the expected form.', {
      hint: 'open the panel again from Plesk',
    });
  }
  const [, body, signature] = parts as [string, string, string];
  const expected = sign(secret, `${TOKEN_PREFIX}.${body}`);
  const given = Buffer.from(signature, 'base64url');
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) {
    throw new AuthError('token_signature', 'The Plesk token signature does not match.', {
      hint: 'the extension and the backend must share one secret; reinstall the extension if it was regenerated',
    });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
  } catch (err) {
    throw new AuthError('token_malformed', 'The Plesk token claims are not JSON.', { cause: err });
  }
  const parsed = tokenClaimsSchema.safeParse(raw);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw new AuthError('token_claims', `The Plesk token claims are invalid (${first?.path.join('.') || 'claims'}: ${first?.message}).`);
  }
  const claims = parsed.data;
  if (claims.exp <= nowSeconds) {
    throw new AuthError('token_expired', 'The Plesk token has expired.', { hint: 'open the panel again from Plesk' });
  }
  if (claims.iat > nowSeconds + CLOCK_SKEW_SECONDS) {
    throw new AuthError('token_future', 'The Plesk token was issued in the future; check the server clock.');
  }
  if (claims.exp - claims.iat > MAX_TOKEN_LIFETIME_SECONDS) {
    throw new AuthError('token_lifetime', `The Plesk token lives longer than ${MAX_TOKEN_LIFETIME_SECONDS} s and is refused.`);
  }
  return claims;
}

/** Throws unless the claims allow the given domain (compared in lower case, as Plesk stores ASCII names). */
export function assertTokenAllowsDomain(claims: TokenClaims, domain: string): void {
  const wanted = domain.toLowerCase();
  if (claims.domains === '*' && claims.role === 'admin') return;
  if (claims.domains !== '*' && claims.domains.includes(wanted)) return;
  throw new AuthError('domain_forbidden', `The Plesk user ${claims.sub} may not manage ${wanted}.`, { status: 403 });
}

/**
 * Remembers token ids until they expire so that a token (which travels in a URL and may land in logs or history)
 * opens exactly one session.
 */
export class UsedTokenIds {
  private readonly seen = new Map<string, number>();

  /** Returns false when the id was already used. */
  claim(claims: TokenClaims, nowSeconds = Math.floor(Date.now() / 1000)): boolean {
    for (const [id, exp] of this.seen) if (exp <= nowSeconds) this.seen.delete(id);
    if (this.seen.has(claims.jti)) return false;
    this.seen.set(claims.jti, claims.exp);
    return true;
  }
}
