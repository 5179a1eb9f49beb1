import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { ConfigError, loadConfigFile, readDemoServer, ServerRegistry } from '../../../backend/src/config/index.js';
import { ValidationError } from '../../../backend/src/errors.js';
import { createStore, openDatabase, type Store } from '../../../backend/src/store/index.js';

const FP = 'SHA256:b4d57eE+pPb03BZ2Y1+Q8sReLfsO5kiMecDj0Ct6giU';

describe('config', () => {
  const dir = mkdtempSync(join(tmpdir(), 'pp-config-'));
  mkdirSync(join(dir, 'keys'));
  writeFileSync(join(dir, 'keys/id'), 'not really a key, only needs to exist');
  writeFileSync(join(dir, 'keys/known_hosts'), '');
  after(() => rmSync(dir, { recursive: true, force: true }));

  function writeConfig(name: string, value: unknown): string {
    const path = join(dir, name);
    writeFileSync(path, typeof value === 'string' ? value : JSON.stringify(value));
    return path;
  }

  function configError(path: string): ConfigError {
    try {
      loadConfigFile(path);
    } catch (err) {
      expect(err).to.be.instanceOf(ConfigError);
      expect(err).to.be.instanceOf(ValidationError);
      return err as ConfigError;
    }
    throw new Error(`expected ${path} to be refused`);
  }

  it('loads a valid file, fills defaults and resolves paths relative to the file', () => {
    const path = writeConfig('ok.json', {
      servers: [
        {
          name: 'web1',
          host: '192.0.2.10',
          privateKeyPath: 'keys/id',
          knownHostsPath: 'keys/known_hosts',
          socketIoPaths: { 'chat.example.test': '/live/socket.io/' },
        },
      ],
      ssh: { commandTimeoutMs: 30000 },
    });
    const config = loadConfigFile(path);
    expect(config.servers[0]).to.deep.include({
      port: 22,
      username: 'root',
      privateKeyPath: join(dir, 'keys/id'),
      knownHostsPath: join(dir, 'keys/known_hosts'),
    });
    expect(config.ssh).to.deep.equal({ connectTimeoutMs: 10000, commandTimeoutMs: 30000, maxChannelsPerServer: 8 });
  });

  it('names every bad field in one error', () => {
    const err = configError(
      writeConfig('bad.json', {
        servers: [
          { name: 'ok', host: 'h', privateKeyPath: 'keys/id', hostKeyFingerprint: FP },
          { name: 'bad name!', host: 'h', port: 70000, privateKeyPath: 'keys/id', hostKeyFingerprint: 'MD5:aa' },
        ],
        sssh: {},
      }),
    );
    const fields = err.problems.map((p) => p.field);
    expect(fields).to.include.members(['servers[1].name', 'servers[1].port', 'servers[1].hostKeyFingerprint', '(top level)']);
    expect(err.message).to.contain('servers[1].port').and.contain('"sssh"');
    expect(err.field).to.be.a('string');
  });

  it('refuses a server without a pinned host key, unknown keys, duplicates, missing files and broken JSON', () => {
    expect(configError(writeConfig('nopin.json', { servers: [{ name: 'a', host: 'h', privateKeyPath: 'keys/id' }] })).message).to.match(
      /servers\[0\]\.hostKeyFingerprint: pin the host key/,
    );
    expect(
      configError(writeConfig('typo.json', { servers: [{ name: 'a', host: 'h', privateKeyPath: 'keys/id', hostKeyFingerprnt: FP }] }))
        .message,
    ).to.contain('servers[0]: unknown key(s) "hostKeyFingerprnt"');
    expect(
      configError(
        writeConfig('dup.json', {
          servers: [1, 2].map(() => ({ name: 'a', host: 'h', privateKeyPath: 'keys/id', hostKeyFingerprint: FP })),
        }),
      ).message,
    ).to.contain('servers[1].name: duplicate server name "a" (also servers[0])');
    expect(
      configError(
        writeConfig('nokey.json', { servers: [{ name: 'a', host: 'h', privateKeyPath: 'keys/missing', hostKeyFingerprint: FP }] }),
      ).message,
    ).to.contain(`servers[0].privateKeyPath: file ${join(dir, 'keys/missing')} does not exist`);
    expect(configError(writeConfig('broken.json', '{ "servers": [')).message).to.contain('is not valid JSON');
    expect(configError(join(dir, 'absent.json')).message).to.contain('does not exist');
    expect(
      configError(
        writeConfig('badpath.json', {
          servers: [{ name: 'a', host: 'h', privateKeyPath: 'keys/id', hostKeyFingerprint: FP, socketIoPaths: { 'x.test': 'socket.io' } }],
        }),
      ).message,
    ).to.contain('servers[0].socketIoPaths.x.test');
  });

  describe('ServerRegistry', () => {
    let store: Store;
    const demoFile = writeConfig('connection.json', {
      name: 'demo',
      host: '127.0.0.1',
      port: 2222,
      username: 'root',
      privateKeyPath: 'keys/id',
      hostKeyFingerprint: FP,
    });
    const configServer = {
      name: 'web1',
      host: 'h1',
      port: 22,
      username: 'root',
      privateKeyPath: join(dir, 'keys/id'),
      hostKeyFingerprint: FP,
    };
    beforeEach(() => {
      store = createStore(openDatabase(':memory:'));
    });
    afterEach(() => store.db.close());

    it('uses the demo host only when nothing else is configured', () => {
      const demo = readDemoServer(demoFile);
      expect(demo).to.include({ name: 'demo', port: 2222, privateKeyPath: join(dir, 'keys/id') });
      const alone = new ServerRegistry(store.servers, { configServers: [], demo });
      expect(alone.list().map((s) => `${s.name}:${s.source}`)).to.deep.equal(['demo:demo']);
      expect(alone.defaultServer().name).to.equal('demo');
      const withConfig = new ServerRegistry(store.servers, { configServers: [configServer], demo });
      expect(withConfig.list().map((s) => `${s.name}:${s.source}`)).to.deep.equal(['web1:config']);
      const forced = new ServerRegistry(store.servers, { configServers: [configServer], demo, forceDemo: true });
      expect(forced.list().map((s) => s.name)).to.deep.equal(['demo', 'web1']);
      expect(() => forced.defaultServer()).to.throw(ValidationError, /name one with --server/);
      expect(readDemoServer(join(dir, 'no-such-connection.json'))).to.equal(undefined);
    });

    it('mirrors the config file into the store, keeps stored servers, and refuses unknown names with the known ones', () => {
      const first = new ServerRegistry(store.servers, {
        configServers: [configServer, { ...configServer, name: 'web2' }],
        demo: undefined,
      });
      first.add({ name: 'extra', host: 'h3', privateKeyPath: join(dir, 'keys/id'), hostKeyFingerprint: FP });
      expect(() => first.add({ ...configServer, name: 'web1' })).to.throw(ValidationError, /defined in the config file/);
      expect(() => first.add({ name: 'x', host: 'h' })).to.throw(ConfigError, /server\.privateKeyPath/);
      // The file changed: web2 removed, web1 moved port.
      const second = new ServerRegistry(store.servers, { configServers: [{ ...configServer, port: 2200 }], demo: undefined });
      expect(second.list().map((s) => `${s.name}:${s.source}`)).to.deep.equal(['extra:store', 'web1:config']);
      expect(second.get('web1').port).to.equal(2200);
      expect(() => second.get('nope'))
        .to.throw(ValidationError, /unknown server "nope"/)
        .with.property('hint')
        .that.contains('extra, web1');
      expect(() => second.remove('web1')).to.throw(ValidationError, /config file/);
      second.remove('extra');
      expect(second.list().map((s) => s.name)).to.deep.equal(['web1']);
    });

    it('says how to add a server when there is none', () => {
      const empty = new ServerRegistry(store.servers, { configServers: [], demo: undefined });
      expect(() => empty.defaultServer())
        .to.throw(ValidationError, /no servers are configured/)
        .with.property('hint')
        .that.contains('PASSENGER_PANEL_CONFIG');
    });
  });
});
