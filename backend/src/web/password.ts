import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto';
import { ValidationError } from '../errors.js';

/** scrypt parameters: N=2^15 costs ~32 MiB and tens of ms per check, enough to make guessing slow. */
const COST = { N: 32768, r: 8, p: 1, maxmem: 64 * 1024 * 1024 } satisfies ScryptOptions;
const KEY_LENGTH = 32;

function derive(password: string, salt: Buffer, options: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFKC'), salt, KEY_LENGTH, options, (err, key) => (err ? reject(err) : resolve(key)));
  });
}

/** `scrypt$N$r$p$<salt b64url>$<hash b64url>`: self-describing so the cost can be raised later. */
export async function hashPassword(password: string): Promise<string> {
  if (password.length < 12) {
    throw new ValidationError('The admin password must have at least 12 characters.', { field: 'password' });
  }
  const salt = randomBytes(16);
  const key = await derive(password, salt, COST);
  return ['scrypt', COST.N, COST.r, COST.p, salt.toString('base64url'), key.toString('base64url')].join('$');
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const parts = stored.split('$');
  if (parts.length !== 6 || parts[0] !== 'scrypt') {
    throw new ValidationError('The stored admin password hash is not in the scrypt$N$r$p$salt$hash form.', {
      hint: 'create one with: passenger-panel hash-password < file-with-the-password',
    });
  }
  const [, n, r, p, salt, hash] = parts as [string, string, string, string, string, string];
  const expected = Buffer.from(hash, 'base64url');
  const key = await derive(password, Buffer.from(salt, 'base64url'), { N: Number(n), r: Number(r), p: Number(p), maxmem: COST.maxmem });
  return key.length === expected.length && timingSafeEqual(key, expected);
}

/** For `passenger-panel hash-password`: the password comes on stdin (never argv, which other users can read in ps). */
export async function hashPasswordFromStream(input: NodeJS.ReadableStream): Promise<string> {
  let text = '';
  for await (const chunk of input) text += String(chunk);
  return hashPassword(text.replace(/\r?\n$/, ''));
}
