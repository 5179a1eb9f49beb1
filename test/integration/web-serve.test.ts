import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../backend/src/web/password.js';
import { resolveServeOptions, runServe } from '../../backend/src/web/serve.js';
import { ValidationError } from '../../backend/src/errors.js';

describe('serve: options and start-up output', function () {
  this.timeout(30_000);
  it('fills defaults and refuses bad values naming the flag', () => {
    expect(resolveServeOptions({})).to.deep.equal({ mode: 'standalone', host: '127.0.0.1', port: 8737, basePath: '' });
    expect(resolveServeOptions({ mode: 'plesk', tokenSecretFile: '/x', port: '0', basePath: '/p' })).to.include({
      mode: 'plesk',
      port: 0,
      basePath: '/p',
      tokenSecretFile: '/x',
    });
    expect(() => resolveServeOptions({ mode: 'plesk' })).to.throw(ValidationError, /token-secret-file/);
    expect(() => resolveServeOptions({ mode: 'cloud' })).to.throw(ValidationError, /--mode/);
    expect(() => resolveServeOptions({ port: '70000' })).to.throw(ValidationError, /--port/);
    expect(() => resolveServeOptions({ port: '80a' })).to.throw(ValidationError, /--port/);
  });

  it('prints the address and a working one-time login link; a used link prints the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-serve-'));
    const hashFile = join(dir, 'admin.hash');
    writeFileSync(hashFile, `${await hashPassword('a long enough password')}\n`, { mode: 0o600 });
    const lines: string[] = [];
    const logged: string[] = [];
    const panel = await runServe(resolveServeOptions({ port: '0', passwordHashFile: hashFile }), {}, (l) => lines.push(l), {
      info: (m) => logged.push(m),
      error: () => {},
    });
    try {
      expect(lines[0]).to.match(/^Passenger Panel is listening on http:\/\/127\.0\.0\.1:\d+\/$/);
      const link = lines.find((l) => l.includes('/login/link?code='))!.trim();
      expect(lines).to.include('Password login is enabled too.');
      expect((await fetch(link, { redirect: 'manual' })).status).to.equal(303);
      expect((await fetch(link, { redirect: 'manual' })).status).to.equal(403);
      const next = /(http:\/\/\S+\/login\/link\?code=\S+)/.exec(logged.join('\n'))?.[1];
      expect(next, 'next login link printed').to.be.a('string');
      expect((await fetch(next!, { redirect: 'manual' })).status).to.equal(303);
    } finally {
      await panel.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
