import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AuthError } from '../../backend/src/web/errors.js';
import { assertTokenAllowsDomain, parseTokenSecret, readTokenSecret, verifyToken, type TokenClaims } from '../../backend/src/web/token.js';
import { phpFilesUnder, repoRoot, runPhp } from '../support/php.js';

// The extension's PHP runs here under php-cli with test/php/pm-stand-in.php in place of Plesk's pm_ classes.

describe('Plesk extension PHP', function () {
  this.timeout(60_000);
  it('every PHP file passes php -l', () => {
    const files = [...phpFilesUnder('plesk-ext'), ...phpFilesUnder('test/php')];
    expect(files).to.include.members([
      'plesk-ext/htdocs/index.php',
      'plesk-ext/plib/controllers/IndexController.php',
      'plesk-ext/plib/controllers/DomainController.php',
      'plesk-ext/plib/hooks/CustomButtons.php',
      'plesk-ext/plib/library/Token.php',
      'plesk-ext/plib/scripts/post-install.php',
      'plesk-ext/plib/scripts/pre-uninstall.php',
      'plesk-ext/plib/views/scripts/domain/open.phtml',
    ]);
    for (const file of files) {
      const lint = runPhp(['-l', file]);
      expect(lint.status, `${file}: ${lint.stdout}${lint.stderr}`).to.equal(0);
    }
  });
});

describe('root helper sbin/passenger-panel-service', () => {
  it('is valid sh and uses the same fixed paths as Config.php and the nginx include', () => {
    const script = 'plesk-ext/sbin/passenger-panel-service';
    const syntax = spawnSync('sh', ['-n', script], { cwd: repoRoot, encoding: 'utf8' });
    expect(syntax.status, syntax.stderr).to.equal(0);
    const text = readFileSync(join(repoRoot, script), 'utf8');
    const config = readFileSync(join(repoRoot, 'plesk-ext/plib/library/Config.php'), 'utf8');
    const backendDir = /BACKEND_DIR = '([^']+)'/.exec(config)?.[1];
    expect(text).to.include(`backend_dir=${backendDir}\n`);
    expect(text).to.include('module_dir=/usr/local/psa/admin/plib/modules/passenger-panel\n');
    expect(text).to.include('var_dir=/usr/local/psa/var/modules/passenger-panel\n');
    expect(text).to.include('unit_name=passenger-panel.service\n');
    // no caller-supplied values: only the action word is read from the arguments
    expect(text.match(/\$[2-9@*]/g)).to.equal(null);
    const usage = spawnSync('sh', [script], { cwd: repoRoot, encoding: 'utf8' });
    expect(usage.status).to.equal(2);
    expect(usage.stderr).to.include('usage: passenger-panel-service install|uninstall|status|restart');
  });
});

describe('install steps (Installer.php) and the backend reading their output', function () {
  this.timeout(30_000);
  it('creates a 0600 secret once, keeps it on upgrade, and the backend reads it', () => {
    const dir = mkdtempSync(join(tmpdir(), 'pp-install-'));
    try {
      const secretPath = join(dir, 'var', 'token.secret');
      const unitPath = join(dir, 'passenger-panel.service');
      const run = runPhp(['test/php/installer-steps.php', secretPath, unitPath]);
      expect(run.status, run.stderr).to.equal(0);
      const result = JSON.parse(run.stdout) as { created: boolean[]; mode: string; secret: string };
      expect(result.created).to.deep.equal([true, false]);
      expect(result.mode).to.equal('600');
      expect(result.secret).to.match(/^[0-9a-f]{64}$/);
      expect(readTokenSecret(secretPath).toString('hex')).to.equal(result.secret);

      const unit = readFileSync(unitPath, 'utf8');
      expect(unit).to.not.match(/@[A-Z_]+@/);
      expect(unit).to.include(
        `ExecStart=/opt/plesk/node/22/bin/node /opt/passenger-panel/dist/backend/src/main.js serve --mode plesk --host 127.0.0.1 --port 8737 --base-path /modules/passenger-panel/panel --token-secret-file ${secretPath}`,
      );
      expect(statSync(unitPath).mode & 0o777).to.equal(0o644);

      chmodSync(secretPath, 0o644);
      expect(() => readTokenSecret(secretPath))
        .to.throw(AuthError)
        .with.property('code', 'secret_file_mode');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('token minted by PHP, verified by the backend', function () {
  this.timeout(60_000);
  const domains = { 1: 'multi.demo.test', 2: 'healthy.demo.test', 3: 'idle.demo.test' };
  let varDir: string;
  let secretHex: string;

  before(() => {
    varDir = mkdtempSync(join(tmpdir(), 'pp-token-'));
    secretHex = randomBytes(32).toString('hex');
    writeFileSync(join(varDir, 'token.secret'), `${secretHex}\n`, { mode: 0o600 });
  });
  after(() => rmSync(varDir, { recursive: true, force: true }));

  interface Launch {
    action: string;
    token: string;
    next: string;
  }

  function mint(request: Record<string, unknown>): { status: number; token?: string; launch?: Launch; stderr: string } {
    const result = runPhp([
      'test/php/mint-with-stand-in.php',
      JSON.stringify({ ...request, world: { domains, varDir, ...(request.world as object) } }),
    ]);
    const line = result.stdout.trim();
    if (!line) return { status: result.status, stderr: result.stderr };
    if (!line.startsWith('{')) return { status: result.status, stderr: result.stderr, token: line };
    const launch = JSON.parse(line) as Launch;
    return { status: result.status, stderr: result.stderr, token: launch.token, launch };
  }

  const customer = { client: { type: 'client', id: 7, login: 'alice', domainIds: [1, 3] } };

  it('a customer token opens the clicked domain and lists exactly the domains Plesk allows', () => {
    const minted = mint({ world: customer, action: 'domain', siteId: 3 });
    expect(minted.status, minted.stderr).to.equal(0);
    const claims = verifyToken(minted.token!, parseTokenSecret(secretHex));
    expect(claims).to.include({ sub: 'alice', role: 'customer', open: 'idle.demo.test', iss: 'plesk', v: 1 });
    expect(claims.domains).to.deep.equal(['idle.demo.test', 'multi.demo.test']);
    expect(claims.exp - claims.iat).to.equal(60);
    assertTokenAllowsDomain(claims, 'multi.demo.test');
    expect(() => assertTokenAllowsDomain(claims, 'healthy.demo.test'))
      .to.throw(AuthError)
      .with.property('code', 'domain_forbidden');
  });

  it('an admin token holds every domain; a reseller gets its list', () => {
    const admin = verifyToken(
      mint({ world: { client: { type: 'admin', id: 1, login: 'admin', domainIds: [] } }, action: 'admin' }).token!,
      parseTokenSecret(secretHex),
    );
    expect(admin).to.include({ role: 'admin', domains: '*', open: null });
    assertTokenAllowsDomain(admin, 'healthy.demo.test');
    const reseller = verifyToken(
      mint({ world: { client: { type: 'reseller', id: 2, login: 'res', domainIds: [2] } }, action: 'domain', siteId: 2 }).token!,
      parseTokenSecret(secretHex),
    );
    expect(reseller).to.include({ role: 'reseller', open: 'healthy.demo.test' });
    expect(reseller.domains).to.deep.equal(['healthy.demo.test']);
  });

  it('hands the token over in a posted form, never in a URL, however long the domain list', () => {
    const short = mint({ world: customer, action: 'domain', siteId: 1 }).launch!;
    expect(short).to.include({ action: '/modules/passenger-panel/panel/auth/plesk', next: '/domains/multi.demo.test' });
    expect(Object.keys(short).sort()).to.deep.equal(['action', 'next', 'token']);
    const admin = mint({ world: { client: { type: 'admin', id: 1, login: 'admin', domainIds: [] } }, action: 'admin' }).launch!;
    expect(admin).to.include({ action: '/modules/passenger-panel/panel/auth/plesk', next: '/' });

    const many: Record<number, string> = {};
    for (let id = 1; id <= 400; id++) many[id] = `customer-site-${id}.example`;
    const reseller = { client: { type: 'reseller', id: 3, login: 'bigreseller', domainIds: Object.keys(many).map(Number) }, domains: many };
    const minted = mint({ world: reseller, action: 'domain', siteId: 7 });
    expect(minted.launch).to.include({
      action: '/modules/passenger-panel/panel/auth/plesk',
      next: '/domains/customer-site-7.example',
    });
    const claims = verifyToken(minted.token!, parseTokenSecret(secretHex));
    expect(claims.domains).to.have.length(400);
    expect(claims.open).to.equal('customer-site-7.example');
  });

  it('PHP refuses to mint for a domain Plesk denies, and for a non-admin asking for the overview', () => {
    const denied = mint({ world: customer, action: 'domain', siteId: 2 });
    expect(denied.status).to.equal(3);
    expect(denied.stderr).to.match(/do not have access/);
    const notAdmin = mint({ world: customer, action: 'admin' });
    expect(notAdmin.status).to.equal(3);
  });

  it('refuses tampered, wrong-secret, expired and over-long tokens', () => {
    const secret = parseTokenSecret(secretHex);
    const token = mint({ world: customer, action: 'domain', siteId: 1 }).token!;
    const [prefix, body, sig] = token.split('.') as [string, string, string];

    const claims = JSON.parse(Buffer.from(body, 'base64url').toString('utf8')) as TokenClaims;
    const widened = Buffer.from(JSON.stringify({ ...claims, domains: [...(claims.domains as string[]), 'healthy.demo.test'] })).toString(
      'base64url',
    );
    expectRefused(() => verifyToken(`${prefix}.${widened}.${sig}`, secret), 'token_signature');
    const flipped = sig.startsWith('A') ? `B${sig.slice(1)}` : `A${sig.slice(1)}`;
    expectRefused(() => verifyToken(`${prefix}.${body}.${flipped}`, secret), 'token_signature');
    expectRefused(() => verifyToken(`${prefix}.${body}`, secret), 'token_malformed');
    expectRefused(() => verifyToken(token, randomBytes(32)), 'token_signature');
    expectRefused(() => verifyToken(token, secret, claims.exp), 'token_expired');

    const now = Math.floor(Date.now() / 1000);
    const base = { world: customer, action: 'raw', user: 'alice', role: 'customer', domains: ['multi.demo.test'], open: 'multi.demo.test' };
    expectRefused(() => verifyToken(mint({ ...base, now: now - 600, lifetime: 60 }).token!, secret), 'token_expired');
    expectRefused(() => verifyToken(mint({ ...base, now, lifetime: 3600 }).token!, secret), 'token_lifetime');
    expect(verifyToken(mint({ ...base, now, lifetime: 120 }).token!, secret).sub).to.equal('alice');
  });
});

function expectRefused(fn: () => unknown, code: string): void {
  expect(fn).to.throw(AuthError).with.property('code', code);
}
