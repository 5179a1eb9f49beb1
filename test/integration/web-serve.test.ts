import { expect } from 'chai';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { hashPassword } from '../../backend/src/web/password.js';
import { parseServeArgs, runServe } from '../../backend/src/web/serve.js';
import { ValidationError } from '../../backend/src/errors.js';

describe('serve: options and start-up output', () => {
  it('parses flags and refuses unknown or incomplete ones', () => {
    expect(parseServeArgs([])).to.deep.equal({ mode: 'standalone', host: '127.0.0.1', port: 8737, basePath: '' });
    expect(parseServeArgs(['--mode', 'plesk', '--token-secret-file', '/x', '--port', '0', '--base-path', '/p'])).to.include({ mode: 'plesk', port: 0, basePath: '/p' });
    expect(() => parseServeArgs(['--mode', 'plesk'])).to.throw(ValidationError, /token-secret-file/);
    expect(() => parseServeArgs(['--port', '70000'])).to.throw(ValidationError);
    expect(() => parseServeArgs(['--host'])).to.throw(ValidationError, /needs a value/);
    expect(() => parseServeArgs(['--verbose'])).to.throw(ValidationError, /Unknown option/);
  });

  it('prints the address and a working one-time login link; a used link prints the next one', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-serve-'));
    const hashFile = join(dir, 'admin.hash');
    writeFileSync(hashFile, `${await hashPassword('a long enough password')}\n`, { mode: 0o600 });
    const lines: string[] = [];
    const logged: string[] = [];
    const panel = await runServe(parseServeArgs(['--port', '0', '--password-hash-file', hashFile]), {}, (l) => lines.push(l), { info: (m) => logged.push(m), error: () => {} });
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
