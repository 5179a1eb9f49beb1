import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfigFile, ServerRegistry } from '../../../backend/src/config/index.js';
import { createStore, openDatabase } from '../../../backend/src/store/index.js';
import { tally } from './tally.js';

const FP = 'SHA256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU';

type Json = Record<string, unknown>;

/** One hostile server definition: what to change in a valid one, and the field the refusal must name. */
interface ServerCase {
  label: string;
  patch: Json;
  field: string;
}

describe('hostile input: config files and server definitions', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-hostile-config-'));
  const key = join(dir, 'id');
  writeFileSync(key, 'only needs to exist');
  // Real files whose names carry a line break or a tab: the file exists, the name is still refused.
  const keyWithNewline = join(dir, 'id\nIdentityFile other');
  writeFileSync(keyWithNewline, 'x');
  const keyWithTab = join(dir, 'id\tx');
  writeFileSync(keyWithTab, 'x');
  after(() => rmSync(dir, { recursive: true, force: true }));

  const valid: Json = { name: 'web1', host: '192.0.2.10', privateKeyPath: key, hostKeyFingerprint: FP };

  const serverCases: ServerCase[] = [
    // names
    ...['', '-web', '.web', 'web 1', 'web/1', '../web', 'web\n1', 'web;rm', 'wéb', 'ｗeb', 'w'.repeat(64), 'web\u0000'].map((name) => ({
      label: `name ${JSON.stringify(name)}`,
      patch: { name },
      field: 'name',
    })),
    { label: 'name as a number', patch: { name: 7 }, field: 'name' },
    { label: 'name as an object', patch: { name: { $gt: '' } }, field: 'name' },
    // hosts
    ...[
      '',
      'a b',
      'host/evil',
      'host\nevil',
      'host\tx',
      'host\u0000',
      'host\u0007',
      '-oProxyCommand=sh',
      'host;reboot',
      'host`id`',
      '$(id)',
      'hóst.example',
      '"host"',
      "host'x",
      'host#x',
      'h'.repeat(300),
      `${'a'.repeat(300)}.example.com`,
      'host\u202e',
    ].map((host) => ({ label: `host ${JSON.stringify(host.slice(0, 40))}`, patch: { host }, field: 'host' })),
    { label: 'host as an array', patch: { host: ['a', 'b'] }, field: 'host' },
    // ports
    ...[0, -1, 65536, 1e9, 2 ** 53, 22.5, Number.MAX_SAFE_INTEGER + 2, '22', '22;', null, true, [22]].map((port) => ({
      label: `port ${JSON.stringify(port)}`,
      patch: { port },
      field: 'port',
    })),
    // users
    ...['', 'root\n', 'ro ot', 'root;id', '-l', 'röot', 'root@host', 7].map((username) => ({
      label: `username ${JSON.stringify(username)}`,
      patch: { username },
      field: 'username',
    })),
    // key paths
    { label: 'key path with a line break (the file exists)', patch: { privateKeyPath: keyWithNewline }, field: 'privateKeyPath' },
    { label: 'key path with a tab (the file exists)', patch: { privateKeyPath: keyWithTab }, field: 'privateKeyPath' },
    { label: 'key path with NUL', patch: { privateKeyPath: `${key}\u0000` }, field: 'privateKeyPath' },
    { label: 'key path empty', patch: { privateKeyPath: '' }, field: 'privateKeyPath' },
    { label: 'key path missing file', patch: { privateKeyPath: join(dir, 'nope') }, field: 'privateKeyPath' },
    { label: 'key path as a number', patch: { privateKeyPath: 1 }, field: 'privateKeyPath' },
    { label: 'known_hosts with a line break', patch: { knownHostsPath: keyWithNewline }, field: 'knownHostsPath' },
    { label: 'known_hosts missing', patch: { knownHostsPath: join(dir, 'none') }, field: 'knownHostsPath' },
    // host key pins
    ...['', 'MD5:aa:bb', 'SHA256:short', `${FP}\n`, `${FP}x`, 'sha256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU'].map((fp) => ({
      label: `fingerprint ${JSON.stringify(fp.slice(0, 30))}`,
      patch: { hostKeyFingerprint: fp },
      field: 'hostKeyFingerprint',
    })),
    { label: 'no host key pin at all', patch: { hostKeyFingerprint: undefined }, field: 'hostKeyFingerprint' },
    // socket.io paths
    { label: 'socket.io path with a quote', patch: { socketIoPaths: { 'a.test': '/x"y/' } }, field: 'socketIoPaths' },
    { label: 'socket.io path with a newline', patch: { socketIoPaths: { 'a.test': '/x\n}' } }, field: 'socketIoPaths' },
    { label: 'socket.io path relative', patch: { socketIoPaths: { 'a.test': 'socket.io/' } }, field: 'socketIoPaths' },
    { label: 'socket.io path with a space', patch: { socketIoPaths: { 'a.test': '/a b/' } }, field: 'socketIoPaths' },
    { label: 'socket.io key not a domain', patch: { socketIoPaths: { '../etc': '/socket.io/' } }, field: 'socketIoPaths' },
    { label: 'socket.io key with a newline', patch: { socketIoPaths: { 'a.test\nb': '/socket.io/' } }, field: 'socketIoPaths' },
    // unknown keys
    { label: 'unknown key', patch: { proxyCommand: 'nc %h %p' }, field: 'server' },
    { label: 'unknown key __proto__-like', patch: { constructor: 'x' }, field: 'server' },
  ];

  function refusedFile(content: unknown): ConfigError {
    const path = join(dir, 'config.json');
    writeFileSync(path, typeof content === 'string' ? content : JSON.stringify(content));
    try {
      loadConfigFile(path);
    } catch (err) {
      expect(err, String(err)).to.be.instanceOf(ConfigError);
      return err as ConfigError;
    }
    throw new Error(`accepted: ${JSON.stringify(content).slice(0, 200)}`);
  }

  it(`refuses ${serverCases.length} hostile server entries in a config file, naming the field`, () => {
    const accepted = serverCases.filter((c) => {
      try {
        refusedFile({ servers: [{ ...valid, ...c.patch }] });
        return false;
      } catch {
        return true;
      }
    });
    expect(
      accepted.map((c) => c.label),
      'accepted',
    ).to.deep.equal([]);
    for (const c of serverCases) {
      const err = refusedFile({ servers: [{ ...valid, ...c.patch }] });
      const fields = err.problems.map((p) => p.field);
      expect(
        fields.some((f) => f.startsWith('servers[0]') && (c.field === 'server' || f.includes(c.field))),
        `${c.label}: ${fields.join(', ')}`,
      ).to.equal(true);
      expect(err.message).to.include('servers[0]');
      tally('config');
    }
  });

  it('refuses the same entries through `servers add` and stores nothing', () => {
    const store = createStore(openDatabase(':memory:'));
    try {
      const registry = new ServerRegistry(store.servers, { configServers: [], demo: undefined });
      for (const c of serverCases) {
        expect(() => registry.add({ ...valid, ...c.patch }), c.label).to.throw(ConfigError);
        tally('config');
      }
      expect(store.servers.list()).to.deep.equal([]);
    } finally {
      store.db.close();
    }
  });

  const fileCases: Array<{ label: string; content: unknown; field: string }> = [
    { label: 'not JSON', content: '{"servers": [', field: '(file)' },
    { label: 'JSON with a comment', content: '{ // x\n "servers": [] }', field: '(file)' },
    { label: 'an array', content: [], field: '(top level)' },
    { label: 'null', content: 'null', field: '(top level)' },
    { label: 'a string', content: '"servers"', field: '(top level)' },
    { label: 'unknown top-level key', content: { servers: [], sshh: {} }, field: '(top level)' },
    { label: 'servers as an object', content: { servers: { web1: valid } }, field: 'servers' },
    { label: 'duplicate names', content: { servers: [valid, { ...valid, host: '192.0.2.11' }] }, field: 'servers[1].name' },
    {
      label: 'duplicate names after others',
      content: { servers: [valid, { ...valid, name: 'web2' }, { ...valid, name: 'web2' }] },
      field: 'servers[2].name',
    },
    { label: 'ssh timeout negative', content: { ssh: { connectTimeoutMs: -1 } }, field: 'ssh.connectTimeoutMs' },
    { label: 'ssh timeout huge', content: { ssh: { commandTimeoutMs: 1e12 } }, field: 'ssh.commandTimeoutMs' },
    { label: 'ssh channels zero', content: { ssh: { maxChannelsPerServer: 0 } }, field: 'ssh.maxChannelsPerServer' },
    { label: 'ssh channels text', content: { ssh: { maxChannelsPerServer: '8' } }, field: 'ssh.maxChannelsPerServer' },
    { label: 'ssh unknown key', content: { ssh: { ciphers: ['none'] } }, field: 'ssh' },
  ];

  it(`refuses ${fileCases.length} hostile config files, naming the field`, () => {
    for (const c of fileCases) {
      const err = refusedFile(c.content);
      expect(
        err.problems.map((p) => p.field),
        c.label,
      ).to.include(c.field);
      tally('config');
    }
  });
});
