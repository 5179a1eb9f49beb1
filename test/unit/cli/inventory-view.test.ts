/** The inventory table and `show` text/JSON, from the demo host capture (test/fixtures/plesk/). */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';
import { diagnosedServer, domainJson, inventoryJson, renderDomain, renderInventoryTable } from '../../../backend/src/cli/inventory-view.js';
import { diagnoseServer } from '../../../backend/src/diagnose/diagnose.js';
import { buildServerInventory } from '../../../backend/src/plesk/inventory-builder.js';
import { parseInventoryOutput } from '../../../backend/src/plesk/inventory-script.js';

const stream = readFileSync(fileURLToPath(new URL('../../../../test/fixtures/plesk/inventory-demo.out', import.meta.url)), 'utf8');
const raw = await parseInventoryOutput('demo', stream);

function demo() {
  const inventory = buildServerInventory(raw, {
    server: 'demo',
    systemDir: '/var/www/vhosts/system',
    readAt: new Date('2026-12-04T20:00:00Z'),
    execs: 1,
    ms: 512,
  });
  return { inventory, server: diagnosedServer(inventory, diagnoseServer(inventory)) };
}

describe('cli inventory views', () => {
  it('prints one line per domain with verdict, processes and main finding, within 100 columns', () => {
    const { server } = demo();
    const text = renderInventoryTable([server]);
    for (const line of text.split('\n')) expect(line.length, line).to.be.at.most(100);
    expect(text).to.match(/^multi\.demo\.test\s+at risk\s+2\s+Several processes without sticky sessions$/m);
    expect(text).to.match(/^healthy\.demo\.test\s+safe\s+1\s/m);
    expect(text).to.contain('1 SSH exec');
  });

  it('keeps the table within 100 columns and on one line per domain when remote text is long or hostile', () => {
    const { inventory, server } = demo();
    const evil = { ...inventory.domains[0]!, name: `${'x'.repeat(150)}.test\u001b[2J\nfake-line` };
    const text = renderInventoryTable([{ ...server, inventory: { ...inventory, domains: [evil] } }]);
    const lines = text.split('\n');
    for (const line of lines) expect(line.length).to.be.at.most(100);
    expect(text).not.to.contain('\u001b');
    // One row for the one domain: the newline in the name did not start a line of its own.
    expect(lines.filter((l) => l.startsWith('xxx'))).to.have.length(1);
    expect(lines.filter((l) => l.trim() !== '')).to.have.length(4);
  });

  it('show: every setting with its source, http side when it differs, and findings with fixes', () => {
    const { inventory, server } = demo();
    const multi = inventory.domains.find((d) => d.name === 'multi.demo.test')!;
    const text = renderDomain(server, multi);
    for (const line of text.split('\n')) expect(line.length, line).to.be.at.most(100);
    expect(text).to.match(/PassengerMinInstances\s+2\s+domain vhost_ssl\.conf:2\n\s+\(http virtual host\)\s+2\s+domain vhost\.conf:2/);
    expect(text).to.match(/PassengerPoolIdleTime\s+6\n\s+from server \/etc\/apache2\/conf-enabled\/pp-testhost\.conf:5/);
    expect(text).to.match(/PassengerStickySessions\s+off\s+default/);
    // Not an Apache directive: hidden unless something sets it.
    expect(text).not.to.contain('PassengerAbortWebsocketsOnProcessShutdown');
    expect(text).to.match(/fix: Turn on sticky sessions/);
  });

  it('JSON: stable keys for the server list and for one domain', () => {
    const { inventory, server } = demo();
    const json = inventoryJson([server]) as { servers: Record<string, unknown>[] };
    expect(Object.keys(json.servers[0]!)).to.deep.equal([
      'server',
      'readAt',
      'passengerVersion',
      'webServer',
      'read',
      'summary',
      'global',
      'domains',
      'processesUnmatched',
    ]);
    const domains = json.servers[0]!.domains as Record<string, unknown>[];
    expect(Object.keys(domains[0]!)).to.deep.equal([
      'name',
      'verdict',
      'mode',
      'https',
      'appRoot',
      'processes',
      'socketIoPath',
      'mainFinding',
      'findings',
    ]);
    const one = domainJson(server, inventory.domains.find((d) => d.name === 'plainhttp.demo.test')!) as { domain: Record<string, unknown> };
    expect(one.domain).to.include({ name: 'plainhttp.demo.test', https: false, httpOnly: true, settingsHttp: null, verdict: 'at-risk' });
    const settings = one.domain.settings as { key: string; source: string; file: string | null; line: number | null }[];
    expect(settings.find((s) => s.key === 'passenger_min_instances')).to.deep.include({
      source: 'domain',
      file: '/var/www/vhosts/system/plainhttp.demo.test/conf/vhost.conf',
      line: 2,
    });
  });
});
