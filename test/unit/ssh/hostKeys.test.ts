import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import {
  checkHostKey,
  fingerprintOf,
  hostKeyAlgorithmsFor,
  knownHostsName,
  normalizeFingerprint,
  parseKnownHosts,
  patternsMatch,
} from '../../../backend/src/ssh/hostKeys.js';

// Real keys made by ssh-keygen, so fingerprints are checked against OpenSSH's own output.
function makeKey(dir: string, name: string, type: string): { blob: Buffer; line: string; fingerprint: string } {
  const path = join(dir, name);
  execFileSync('ssh-keygen', ['-q', '-t', type, '-N', '', '-f', path]);
  const line = readFileSync(`${path}.pub`, 'utf8').trim();
  const fingerprint = execFileSync('ssh-keygen', ['-lf', `${path}.pub`], { encoding: 'utf8' }).split(' ')[1] as string;
  return { blob: Buffer.from(line.split(' ')[1] as string, 'base64'), line, fingerprint };
}

describe('host key pinning', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-hostkeys-'));
  const ed = makeKey(dir, 'ed', 'ed25519');
  const other = makeKey(dir, 'other', 'ed25519');
  const ecdsa = makeKey(dir, 'ec', 'ecdsa');
  const keyPart = (line: string) => line.split(' ').slice(0, 2).join(' ');

  it('computes the same SHA256 fingerprint as ssh-keygen -l', () => {
    expect(fingerprintOf(ed.blob)).to.equal(ed.fingerprint);
    expect(normalizeFingerprint(` ${ed.fingerprint}= `)).to.equal(ed.fingerprint);
    expect(normalizeFingerprint('MD5:aa:bb')).to.equal(undefined);
  });

  it('matches known_hosts names the way OpenSSH writes them, hashed ones included', () => {
    expect(knownHostsName('127.0.0.1', 22)).to.equal('127.0.0.1');
    expect(knownHostsName('127.0.0.1', 2222)).to.equal('[127.0.0.1]:2222');
    expect(patternsMatch('[127.0.0.1]:2222,other', '127.0.0.1', 2222)).to.equal(true);
    expect(patternsMatch('127.0.0.1', '127.0.0.1', 2222)).to.equal(false);
    expect(patternsMatch('*.example.test,!bad.example.test', 'bad.example.test', 22)).to.equal(false);
    expect(patternsMatch('*.example.test', 'web1.example.test', 22)).to.equal(true);
    const file = join(dir, 'hashed');
    execFileSync('sh', ['-c', `printf '%s\\n' '[127.0.0.1]:2222 ${keyPart(ed.line)}' > ${file}; ssh-keygen -q -H -f ${file} 2>/dev/null`]);
    const [entry] = parseKnownHosts(readFileSync(file, 'utf8'));
    expect(entry?.patterns.startsWith('|1|')).to.equal(true);
    expect(patternsMatch(entry!.patterns, '127.0.0.1', 2222)).to.equal(true);
    expect(patternsMatch(entry!.patterns, '127.0.0.1', 2223)).to.equal(false);
  });

  it('accepts only the pinned key and names the presented fingerprint when refusing', () => {
    const knownHosts = parseKnownHosts(`# comment\n\ngarbage line\n[127.0.0.1]:2222 ${keyPart(ed.line)}\r\n`);
    expect(knownHosts).to.have.length(1);
    const pin = { host: '127.0.0.1', port: 2222, knownHosts, knownHostsPath: '/k' };
    expect(checkHostKey(pin, ed.blob)).to.deep.equal({ ok: true, fingerprint: ed.fingerprint });
    const changed = checkHostKey(pin, other.blob);
    expect(changed.ok).to.equal(false);
    expect(!changed.ok && changed.reason)
      .to.contain(other.fingerprint)
      .and.contain('changed');
    const unknownHost = checkHostKey({ ...pin, port: 2223 }, ed.blob);
    expect(!unknownHost.ok && unknownHost.reason)
      .to.contain('has no key for this host')
      .and.contain(ed.fingerprint);
    const byFingerprint = checkHostKey({ host: 'h', port: 22, fingerprint: ed.fingerprint }, other.blob);
    expect(!byFingerprint.ok && byFingerprint.reason)
      .to.contain(other.fingerprint)
      .and.contain(ed.fingerprint);
    const none = checkHostKey({ host: 'h', port: 22 }, ed.blob);
    expect(!none.ok && none.reason).to.contain('no host key is pinned');
  });

  it('refuses a key marked @revoked even when it is also listed', () => {
    const knownHosts = parseKnownHosts(`h ${keyPart(ed.line)}\n@revoked h ${keyPart(ed.line)}\n`);
    const decision = checkHostKey({ host: 'h', port: 22, knownHosts }, ed.blob);
    expect(!decision.ok && decision.reason).to.contain('@revoked');
  });

  it('offers only the host key algorithms of the pinned keys', () => {
    const knownHosts = parseKnownHosts(`h ${keyPart(ecdsa.line)}\nh ${keyPart(ed.line)}\nother ssh-rsa AAAA\n`);
    expect(hostKeyAlgorithmsFor({ host: 'h', port: 22, knownHosts })).to.deep.equal(['ecdsa-sha2-nistp256', 'ssh-ed25519']);
    expect(hostKeyAlgorithmsFor({ host: 'h', port: 22, fingerprint: ed.fingerprint })).to.equal(undefined);
  });
});
