import { expect } from 'chai';
import { ValidationError } from '../../../backend/src/errors.js';
import { pleskLayout } from '../../../backend/src/plesk/layout.js';

describe('plesk layout', () => {
  it('names the conf folder, admin files and generated files of a domain', () => {
    expect(pleskLayout.systemConfDir('multi.demo.test')).to.equal('/var/www/vhosts/system/multi.demo.test/conf');
    expect(pleskLayout.adminKinds.map((k) => pleskLayout.vhostFile('xn--bcher-kva.example', k))).to.deep.equal([
      '/var/www/vhosts/system/xn--bcher-kva.example/conf/vhost.conf',
      '/var/www/vhosts/system/xn--bcher-kva.example/conf/vhost_ssl.conf',
      '/var/www/vhosts/system/xn--bcher-kva.example/conf/vhost_nginx.conf',
    ]);
    expect(pleskLayout.generatedFile('a.test', 'apache')).to.equal('/var/www/vhosts/system/a.test/conf/last_httpd.conf');
    expect(pleskLayout.generatedFile('a.test', 'nginx')).to.equal('/var/www/vhosts/system/a.test/conf/last_nginx.conf');
    expect(pleskLayout.defaultDocumentRoot('a.test')).to.equal('/var/www/vhosts/a.test/httpdocs');
  });

  it('tells generated files and a domain own conf folder apart from other paths', () => {
    expect(pleskLayout.isGeneratedFile('/var/www/vhosts/system/a.test/conf/last_nginx.conf')).to.equal(true);
    expect(pleskLayout.isGeneratedFile('/var/www/vhosts/system/a.test/conf/vhost.conf')).to.equal(false);
    expect(pleskLayout.isGeneratedFile('/etc/apache2/last_httpd.conf.bak')).to.equal(false);
    expect(pleskLayout.isInSystemConfDir('a.test', '/var/www/vhosts/system/a.test/conf/vhost_ssl.conf')).to.equal(true);
    expect(pleskLayout.isInSystemConfDir('a.test', '/var/www/vhosts/system/b.a.test/conf/vhost.conf')).to.equal(false);
    expect(pleskLayout.isInSystemConfDir('a.test', '/var/www/vhosts/system/a.test/conf/sub/vhost.conf')).to.equal(false);
  });

  it('refuses a name that could steer a path out of the conf folder', () => {
    for (const bad of ['../etc', 'a/b.test', '.hidden', 'a..b', '', 'a.test/', 'a b.test', 'a\u0000.test', `${'a'.repeat(250)}.test`]) {
      expect(() => pleskLayout.vhostFile(bad, 'vhost'), JSON.stringify(bad))
        .to.throw(ValidationError)
        .with.property('field', 'domain');
    }
  });
});
