import { createHmac, randomBytes } from 'node:crypto';
import { expect } from 'chai';
import { AuthError } from '../../../backend/src/web/errors.js';
import { MAX_TOKEN_LENGTH, mintToken, type TokenClaims, verifyToken } from '../../../backend/src/web/token.js';
import { tally } from './tally.js';

const NOW = 1_800_000_000;
const secret = Buffer.from('7f'.repeat(32), 'hex');

const good: TokenClaims = {
  v: 1,
  iss: 'plesk',
  sub: 'alice',
  role: 'customer',
  domains: ['a.example.com', 'b.example.com'],
  open: 'a.example.com',
  iat: NOW - 5,
  exp: NOW + 100,
  jti: 'a'.repeat(32),
};

/** Signs any body text with the real secret: what a buggy or compromised minting side could send. */
function signedRaw(body: string, key = secret): string {
  const signedPart = `pp1.${body}`;
  return `${signedPart}.${createHmac('sha256', key).update(signedPart).digest('base64url')}`;
}

function signedClaims(claims: unknown): string {
  return signedRaw(Buffer.from(JSON.stringify(claims), 'utf8').toString('base64url'));
}

function refusal(token: string): AuthError {
  try {
    verifyToken(token, secret, NOW);
  } catch (err) {
    expect(err, String(err)).to.be.instanceOf(AuthError);
    return err as AuthError;
  }
  throw new Error(`accepted: ${token.slice(0, 120)}`);
}

describe('hostile input: Plesk token fields', () => {
  it('accepts the well-formed token the cases are derived from', () => {
    expect(verifyToken(mintToken(secret, good), secret, NOW).sub).to.equal('alice');
  });

  const valid = mintToken(secret, good);
  const [, validBody, validSig] = valid.split('.') as [string, string, string];

  const forms: Array<[string, string, string]> = [
    ['empty', '', 'token_malformed'],
    ['one dot', '.', 'token_malformed'],
    ['two dots', '..', 'token_malformed'],
    ['prefix only', 'pp1', 'token_malformed'],
    ['prefix and dot', 'pp1.', 'token_malformed'],
    ['empty body and signature', 'pp1..', 'token_malformed'],
    ['empty signature', `pp1.${validBody}.`, 'token_malformed'],
    ['other version', `pp2.${validBody}.${validSig}`, 'token_malformed'],
    ['upper-case prefix', `PP1.${validBody}.${validSig}`, 'token_malformed'],
    ['extra dot at the end', `${valid}.`, 'token_malformed'],
    ['extra part', `${valid}.x`, 'token_malformed'],
    ['extra dot inside', `pp1.${validBody}..${validSig}`, 'token_malformed'],
    ['leading space', ` ${valid}`, 'token_malformed'],
    ['too long', `pp1.${'A'.repeat(MAX_TOKEN_LENGTH)}.x`, 'token_malformed'],
    ['unicode prefix', `ｐp1.${validBody}.${validSig}`, 'token_malformed'],
    ['signature of another secret', signedRaw(validBody, randomBytes(32)), 'token_signature'],
    ['truncated signature', valid.slice(0, -4), 'token_signature'],
    ['signature of the other body', `pp1.${validBody}x.${validSig}`, 'token_signature'],
    ['signature not base64', `pp1.${validBody}.%%%%`, 'token_signature'],
    ['unicode signature', `pp1.${validBody}.${'é'.repeat(43)}`, 'token_signature'],
    ['unicode body', `pp1.${validBody}é.${validSig}`, 'token_signature'],
    ['body with a newline', `pp1.${validBody}\n.${validSig}`, 'token_signature'],
    ['alg none style (unsigned)', `pp1.${validBody}.bm9uZQ`, 'token_signature'],
    ['signed body that is not base64', signedRaw('!!!$$$'), 'token_malformed'],
    ['signed body that is not JSON', signedRaw(Buffer.from('{"v":1,').toString('base64url')), 'token_malformed'],
    ['signed body of binary junk', signedRaw(randomBytes(40).toString('base64url')), 'token_malformed'],
  ];

  it(`refuses ${forms.length} malformed or badly signed tokens, without echoing them`, () => {
    for (const [label, token, code] of forms) {
      const err = refusal(token);
      expect(err.code, label).to.equal(code);
      if (token.length > 8) expect(err.message, label).to.not.include(token);
      tally('token');
    }
  });

  const hugeList = Array.from({ length: 100_001 }, (_, i) => `d${i}.t`);
  const claimCases: Array<[string, unknown, string]> = [
    ['claims null', null, 'claims'],
    ['claims an array', [good], 'claims'],
    ['claims a string', 'admin', 'claims'],
    ['claims a number', 1, 'claims'],
    ['v 2', { ...good, v: 2 }, 'v'],
    ['v as text', { ...good, v: '1' }, 'v'],
    ['iss other', { ...good, iss: 'evil' }, 'iss'],
    ['sub empty', { ...good, sub: '' }, 'sub'],
    ['sub 256 characters', { ...good, sub: 'x'.repeat(256) }, 'sub'],
    ['sub a number', { ...good, sub: 5 }, 'sub'],
    ['sub an object', { ...good, sub: { toString: 'admin' } }, 'sub'],
    ['role root', { ...good, role: 'root' }, 'role'],
    ['role Admin', { ...good, role: 'Admin' }, 'role'],
    ['role as a list', { ...good, role: ['admin'] }, 'role'],
    ['customer with every domain', { ...good, domains: '*', open: null }, 'domains'],
    ['reseller with every domain', { ...good, role: 'reseller', domains: '*', open: null }, 'domains'],
    ['domains "**"', { ...good, role: 'admin', domains: '**', open: null }, 'domains'],
    ['domains one string', { ...good, domains: 'a.example.com' }, 'domains'],
    ['domains an object', { ...good, domains: { 'a.example.com': true } }, 'domains'],
    ['domains with a number', { ...good, domains: [5] }, 'domains'],
    ['domains with "*" inside', { ...good, domains: ['*'], open: null }, 'domains'],
    ['upper-case domain', { ...good, domains: ['A.example.com'], open: null }, 'domains'],
    ['domain with a newline', { ...good, domains: ['a.example.com\n'], open: null }, 'domains'],
    ['domain with NUL', { ...good, domains: ['a.example.com\u0000.evil'], open: null }, 'domains'],
    ['domain ../', { ...good, domains: ['../etc'], open: null }, 'domains'],
    ['domain with a space', { ...good, domains: ['a b.com'], open: null }, 'domains'],
    ['domain with a slash', { ...good, domains: ['a.com/x'], open: null }, 'domains'],
    ['domain starting with "-"', { ...good, domains: ['-a.com'], open: null }, 'domains'],
    ['domain with empty label', { ...good, domains: ['a..com'], open: null }, 'domains'],
    ['domain with trailing dot', { ...good, domains: ['a.com.'], open: null }, 'domains'],
    ['cyrillic look-alike domain', { ...good, domains: ['аpple.com'], open: null }, 'domains'],
    ['full-width domain', { ...good, domains: ['ａ.com'], open: null }, 'domains'],
    ['64-character label', { ...good, domains: [`${'a'.repeat(64)}.com`], open: null }, 'domains'],
    ['254-character name', { ...good, domains: [`${'a.'.repeat(126)}ab`], open: null }, 'domains'],
    ['empty domain', { ...good, domains: [''], open: null }, 'domains'],
    ['100,001 domains', { ...good, role: 'reseller', domains: hugeList, open: null }, 'domains'],
    ['open not among the domains', { ...good, open: 'c.example.com' }, 'open'],
    ['open "*"', { ...good, open: '*' }, 'open'],
    ['open a number', { ...good, open: 7 }, 'open'],
    ['open with a newline', { ...good, open: 'a.example.com\n' }, 'open'],
    ['iat negative', { ...good, iat: -1 }, 'iat'],
    ['iat fractional', { ...good, iat: NOW - 0.5 }, 'iat'],
    ['iat as text', { ...good, iat: String(NOW) }, 'iat'],
    ['exp zero', { ...good, exp: 0 }, 'exp'],
    ['exp huge float', { ...good, exp: 1e308 }, 'exp'],
    ['jti short', { ...good, jti: 'abc' }, 'jti'],
    ['jti upper case', { ...good, jti: 'A'.repeat(32) }, 'jti'],
    ['jti with a newline', { ...good, jti: `${'a'.repeat(31)}\n` }, 'jti'],
    ['jti missing', { ...good, jti: undefined }, 'jti'],
    ['extra claim', { ...good, admin: true }, 'claims'],
    ['__proto__ claim', JSON.parse(`{"__proto__":{"role":"admin"},${JSON.stringify(good).slice(1)}`), 'claims'],
  ];

  it(`refuses ${claimCases.length} signed tokens whose claims are wrong, naming the claim`, () => {
    for (const [label, claims, field] of claimCases) {
      const token = signedClaims(claims);
      const err = refusal(token);
      if (token.length > MAX_TOKEN_LENGTH) expect(err.code, label).to.equal('token_malformed');
      else {
        expect(err.code, `${label}: ${err.message}`).to.equal('token_claims');
        expect(err.message, label).to.include(`(${field}`);
      }
      tally('token');
    }
  });

  const lifetimeCases: Array<[string, Partial<TokenClaims>, string]> = [
    ['expired', { iat: NOW - 100, exp: NOW - 1 }, 'token_expired'],
    ['expiring now', { iat: NOW - 100, exp: NOW }, 'token_expired'],
    ['issued in the future', { iat: NOW + 120, exp: NOW + 200 }, 'token_future'],
    ['living an hour', { iat: NOW - 1, exp: NOW + 3600 }, 'token_lifetime'],
    ['living forever', { iat: 0, exp: Number.MAX_SAFE_INTEGER }, 'token_lifetime'],
  ];

  it(`refuses ${lifetimeCases.length} tokens with a bad lifetime`, () => {
    for (const [label, patch, code] of lifetimeCases) {
      expect(refusal(signedClaims({ ...good, ...patch })).code, label).to.equal(code);
      tally('token');
    }
  });
});
