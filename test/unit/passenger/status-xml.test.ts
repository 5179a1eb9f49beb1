import { expect } from 'chai';
import { readFileSync } from 'node:fs';
import { StatusXmlError, normalizeAppRoot, parsePassengerStatus, processesByAppRoot } from '../../../backend/src/passenger/status-xml.js';
import { XmlError, parseXml } from '../../../backend/src/passenger/xml-reader.js';
import { fixturePath, readFixture } from './fixture-path.js';

describe('passenger-status XML', () => {
  it('reads a running Passenger with no app yet', () => {
    const status = parsePassengerStatus(readFixture('passenger-status/none-running.xml'));
    expect(status).to.deep.equal({
      passengerVersion: '6.0.17',
      groupCount: 0,
      processCount: 0,
      maxPoolSize: 6,
      capacityUsed: 0,
      getWaitListSize: 0,
      groups: [],
    });
  });

  it('reads one app with one process, its identity and options', () => {
    const status = parsePassengerStatus(readFixture('passenger-status/one-app.xml'));
    expect(status.groups).to.have.length(1);
    const [g] = status.groups;
    expect(g!.appRoot).to.equal('/tmp/pp-status-capture/alpha');
    expect(g!.name).to.equal('/tmp/pp-status-capture/alpha (production)');
    expect(g!.appType).to.equal('nodejs');
    expect(g!.environment).to.equal('production');
    expect(g!.minProcesses).to.equal(1);
    expect(g!.stickySessionsCookieAttributes).to.equal('SameSite=Lax; Secure;');
    expect(g!.options.integration_mode).to.equal('apache');
    expect(g!.options.nodejs).to.equal('/opt/plesk/node/20/bin/node');
    expect(g!.processes).to.have.length(1);
    const p = g!.processes[0]!;
    expect(p.pid).to.be.a('number').and.above(1);
    expect(p.gupid).to.match(/^[0-9a-f]+-[A-Za-z0-9]+$/);
    expect(p.stickySessionId).to.match(/^\d+$/);
    expect(p.spawnEndTime! - p.spawnStartTime!).to.be.above(0);
    // Epoch microseconds: a date after 2020.
    expect(p.spawnStartTime! / 1000).to.be.above(Date.UTC(2020, 0, 1));
    expect(p.lastUsed).to.be.at.least(p.spawnEndTime!);
    expect(p.lifeStatus).to.equal('ALIVE');
    expect(p.enabled).to.equal('ENABLED');
    expect(p.appRoot).to.equal(g!.appRoot);
    expect(p.processed).to.equal(1);
  });

  it('reads several apps with several processes and an open session', () => {
    const status = parsePassengerStatus(readFileSync(fixturePath('passenger-status/several-apps-multi-process.xml')));
    expect(status.groupCount).to.equal(2);
    expect(status.processCount).to.equal(4);
    const beta = status.groups.find((g) => g.appRoot.endsWith('/beta'))!;
    expect(beta.environment).to.equal('staging');
    expect(beta.minProcesses).to.equal(3);
    expect(beta.stickySessionsCookieAttributes).to.equal('SameSite=Lax');
    expect(beta.processes).to.have.length(3);
    expect(new Set(beta.processes.map((p) => p.gupid)).size).to.equal(3);
    expect(beta.processes.reduce((n, p) => n + p.sessions, 0)).to.equal(1);
    const byRoot = processesByAppRoot(status);
    expect([...byRoot.keys()].sort()).to.deep.equal(['/tmp/pp-status-capture/alpha', '/tmp/pp-status-capture/beta']);
  });

  it('reads the test host (five demo apps, one idle with no process) and never keeps the api key', () => {
    const xml = readFixture('passenger-status/test-host-demo.xml');
    const status = parsePassengerStatus(xml);
    expect(status.groups.map((g) => g.appRoot.split('/')[4]).sort()).to.deep.equal([
      'custompath.demo.test',
      'healthy.demo.test',
      'idle.demo.test',
      'multi.demo.test',
      'plainhttp.demo.test',
    ]);
    const multi = status.groups.find((g) => g.appRoot.includes('multi.demo.test'))!;
    expect(multi.minProcesses).to.equal(2);
    expect(status.processCount).to.equal(status.groups.reduce((n, g) => n + g.processes.length, 0));
    for (const g of status.groups) expect(g.options).to.not.have.property('api_key');
    expect(JSON.stringify(status)).to.not.contain('api_key');
  });

  it('ignores the tip passenger-status prints after the document and text before it', () => {
    const xml = readFixture('passenger-status/none-running.xml');
    expect(xml).to.contain('<info');
    const noisy = `Warning: something\n${xml.trimEnd()}*** Tip: if you install the 'xmllint' command then the XML output will be indented.\n`;
    expect(parsePassengerStatus(noisy).passengerVersion).to.equal('6.0.17');
  });

  it('decodes ISO-8859-1 bytes and character references', () => {
    const bytes = Buffer.concat([
      Buffer.from('<?xml version="1.0" encoding="iso-8859-1" ?><info version="3"><supergroups><supergroup><group>'),
      Buffer.from('<app_root>/var/www/caf', 'latin1'),
      Buffer.from([0xe9]),
      Buffer.from('/x</app_root><options><sticky_sessions_cookie_attributes>SameSite&#61;Lax&#59;</sticky_sessions_cookie_attributes>'),
      Buffer.from('</options><processes><process><pid>7</pid></process></processes></group></supergroup></supergroups></info>'),
    ]);
    const status = parsePassengerStatus(bytes);
    expect(status.groups[0]!.appRoot).to.equal('/var/www/café/x');
    expect(status.groups[0]!.stickySessionsCookieAttributes).to.equal('SameSite=Lax;');
    expect(status.groups[0]!.processes[0]!.sessions).to.equal(0);
  });

  it('fails with a clear, typed error on cut or foreign output', () => {
    const xml = readFixture('passenger-status/several-apps-multi-process.xml');
    for (const bad of [
      xml.slice(0, Math.floor(xml.length / 2)),
      "ERROR: Phusion Passenger(R) doesn't seem to be running.",
      '<html></html>',
      '<info><pid>1</pid><process_count>x</process_count></info>',
    ]) {
      expect(() => parsePassengerStatus(bad)).to.throw(StatusXmlError);
    }
    let caught: unknown;
    try {
      parsePassengerStatus(xml.slice(0, 500));
    } catch (err) {
      caught = err;
    }
    expect(caught).to.be.instanceOf(StatusXmlError);
    expect((caught as StatusXmlError).message).to.contain('not closed');
    expect((caught as StatusXmlError).hint).to.contain('passenger-status --show=xml');
  });

  it('normalises app roots for matching', () => {
    expect(normalizeAppRoot('/var/www/a/httpdocs/')).to.equal('/var/www/a/httpdocs');
    expect(normalizeAppRoot('/')).to.equal('/');
  });
});

describe('XML reader', () => {
  it('reads attributes, entities, CDATA, comments and self-closing tags', () => {
    const root = parseXml(
      `<?xml version="1.0"?><!DOCTYPE x><a k='v&amp;w' n="1"><!-- c --><b/><c>x &lt;&#x41;&#66;&gt; <![CDATA[<raw>&amp;]]></c></a>`,
    );
    expect(root.attributes).to.deep.equal({ k: 'v&w', n: '1' });
    expect(root.children.map((c) => c.name)).to.deep.equal(['b', 'c']);
    expect(root.children[1]!.text).to.equal('x <AB> <raw>&amp;');
  });

  it('refuses malformed documents with the line and column', () => {
    for (const bad of ['<a><b></a>', '<a>', 'x<a/>', '<a b=c/>', '<a><b></b>', '']) {
      expect(() => parseXml(bad), bad).to.throw(XmlError);
    }
    expect(() => parseXml('<a><b></a>')).to.throw(/line 1, column \d+: .*closing tag 'b'.*instead of closing tag 'a'/);
    expect(() => parseXml('<?xml version="1.0"?>\n<a><b>')).to.throw(/<a> is not closed/);
  });
});
