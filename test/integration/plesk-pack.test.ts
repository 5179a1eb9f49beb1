import { expect } from 'chai';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../support/php.js';
import { readZip, type ZipEntry } from '../support/zip-reader.js';

describe('npm run pack:plesk', function () {
  this.timeout(60_000);
  let dir: string;
  let entries: ZipEntry[];

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'pp-pack-'));
    const out = join(dir, 'ext.zip');
    const run = spawnSync('npm', ['run', '--silent', 'pack:plesk', '--', out], { cwd: repoRoot, encoding: 'utf8', timeout: 60_000 });
    if (run.status !== 0) throw new Error(`pack:plesk failed (${run.status}): ${run.stderr}${run.stdout}`);
    expect(run.stdout).to.include('plesk bin extension --install');
    entries = readZip(readFileSync(out));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  const entry = (name: string): ZipEntry => {
    const found = entries.find((e) => e.name === name);
    if (!found) throw new Error(`${name} is not in the zip`);
    return found;
  };

  it('has meta.xml and the extension folders at the zip root, byte for byte', () => {
    expect(entry('meta.xml').data.equals(readFileSync(join(repoRoot, 'meta.xml')))).to.equal(true);
    for (const name of [
      'htdocs/index.php',
      'plib/controllers/IndexController.php',
      'plib/controllers/DomainController.php',
      'plib/hooks/CustomButtons.php',
      'plib/library/Token.php',
      'plib/scripts/post-install.php',
      'plib/scripts/pre-uninstall.php',
      'plib/resources/panel-nginx.inc',
      'plib/resources/passenger-panel.service',
      '_meta/icons/32x32.png',
      '_meta/icons/64x64.png',
    ]) {
      expect(entry(name).data.equals(readFileSync(join(repoRoot, 'plesk-ext', name))), name).to.equal(true);
    }
    const roots = new Set(entries.map((e) => e.name.split('/')[0]));
    expect([...roots].sort()).to.deep.equal(['_meta', 'htdocs', 'meta.xml', 'plib', 'sbin']);
    expect(entries.some((e) => e.name.startsWith('test/') || e.name.includes('stand-in'))).to.equal(false);
  });

  it('keeps the sbin helper executable and ships the backend bundle the helper installs', () => {
    expect(entry('sbin/passenger-panel-service').mode & 0o111).to.not.equal(0);
    entry('plib/backend/dist/backend/src/main.js');
    entry('plib/backend/dist/backend/src/web/app.js');
    entry('plib/backend/views/layouts/main.hbs');
    entry('plib/backend/views/static/panel.css');
    expect(JSON.parse(entry('plib/backend/package.json').data.toString('utf8')).name).to.equal('passenger-panel');
    const unit = entry('plib/resources/passenger-panel.service').data.toString('utf8');
    expect(unit).to.include('@BACKEND_DIR@/dist/backend/src/main.js serve --mode plesk --host 127.0.0.1');
    expect(entry('plib/resources/panel-nginx.inc').data.toString('utf8'))
      .to.include('proxy_pass http://127.0.0.1:8737/;')
      .and.include('proxy_set_header Upgrade $http_upgrade;');
  });

  it('the include, the unit and Config.php agree on port and path', () => {
    const config = entry('plib/library/Config.php').data.toString('utf8');
    const port = /BACKEND_PORT = (\d+);/.exec(config)?.[1];
    const path = /PROXY_PATH = '([^']+)';/.exec(config)?.[1];
    expect(port).to.equal('8737');
    expect(entry('plib/resources/panel-nginx.inc').data.toString('utf8'))
      .to.include(`location ^~ ${path}/ {`)
      .and.include(`127.0.0.1:${port}/`);
    expect(readFileSync(join(repoRoot, 'meta.xml'), 'utf8')).to.include('<id>passenger-panel</id>');
    expect(path).to.equal('/modules/passenger-panel/panel');
  });
});
