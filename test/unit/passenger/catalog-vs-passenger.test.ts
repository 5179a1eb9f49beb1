import { expect } from 'chai';
import { existsSync, readFileSync } from 'node:fs';
import { CATALOG } from '../../../backend/src/passenger/catalog.js';

// Passenger's own option tables, installed with Debian's passenger package on the test host.
const OPTIONS_DIR = '/usr/lib/ruby/vendor_ruby/phusion_passenger';

interface RubyOption {
  name: string;
  body: string;
}

function readOptions(file: string): RubyOption[] {
  const path = `${OPTIONS_DIR}/${file}`;
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install Debian's passenger package (bash test/host/setup.sh does)`);
  }
  const text = readFileSync(path, 'utf8');
  const out: RubyOption[] = [];
  for (const m of text.matchAll(/\{\s*:name\s*=>\s*["']([^"']+)["']([^}]*)\}/g)) out.push({ name: m[1]!, body: m[2]! });
  return out;
}

describe('catalog against the installed Passenger option tables', () => {
  const apache = readOptions('apache2/config_options.rb');
  const nginx = readOptions('nginx/config_options.rb');

  it('uses names that Passenger 6.0 defines, except the one that does not exist under Apache', () => {
    for (const spec of CATALOG) {
      expect(
        nginx.map((o) => o.name),
        spec.nginxName,
      ).to.include(spec.nginxName);
      if (spec.key === 'passenger_abort_websockets_on_process_shutdown') {
        expect(apache.map((o) => o.name)).to.not.include(spec.apacheName);
      } else {
        expect(
          apache.map((o) => o.name),
          spec.apacheName,
        ).to.include(spec.apacheName);
      }
    }
  });

  it('flags exactly the options Passenger routes to its enterprise-only handler', () => {
    for (const spec of CATALOG) {
      const opt = apache.find((o) => o.name === spec.apacheName) ?? nginx.find((o) => o.name === spec.nginxName)!;
      expect(/enterprise_only/.test(opt.body), spec.key).to.equal(spec.enterpriseOnly);
    }
  });

  it('marks as server-only exactly the options Passenger keeps global', () => {
    for (const spec of CATALOG.filter((s) => !s.enterpriseOnly)) {
      const ng = nginx.find((o) => o.name === spec.nginxName)!;
      expect(/:scope\s*=>\s*:global/.test(ng.body), spec.key).to.equal(spec.serverOnly);
    }
  });

  it('has the same literal integer defaults and minimums as Passenger', () => {
    for (const spec of CATALOG.filter((s) => s.type === 'integer' && !s.enterpriseOnly)) {
      const opt = apache.find((o) => o.name === spec.apacheName)!;
      const def = /:default\s*=>\s*(-?\d+)/.exec(opt.body);
      if (def) expect(spec.default, spec.key).to.equal(Number(def[1]));
      const min = /:min_value\s*=>\s*(-?\d+)/.exec(opt.body);
      if (min) expect(spec.min, spec.key).to.equal(Number(min[1]));
    }
  });
});
