import { expect } from 'chai';
import { parseApacheConfig, splitApacheArgs } from '../../../backend/src/passenger/apache-parser.js';
import { readFixture } from './fixture-path.js';

describe('Apache directive parser', () => {
  it('reads nested sections, quoting, continuations, odd case and the managed block', () => {
    const parsed = parseApacheConfig(readFixture('config/nested-apache.conf'), { file: 'vhost.conf' });
    expect(parsed.problems).to.deep.equal([]);
    const byName = (n: string) => parsed.directives.find((d) => d.name.toLowerCase() === n.toLowerCase())!;

    const sticky = byName('PassengerStickySessions');
    expect(sticky.name).to.equal('passengerstickysessions');
    expect(sticky.key).to.equal('passenger_sticky_sessions');
    expect(sticky.args).to.deep.equal(['On']);
    expect(sticky.line).to.equal(5);
    expect(sticky.blocks.map((b) => b.name)).to.deep.equal(['IfModule', 'Directory']);
    expect(sticky.blocks[1]!.args).to.deep.equal(['/var/www/vhosts/example.test/httpdocs/public']);
    expect(sticky.inManagedBlock).to.equal(false);
    expect(sticky.file).to.equal('vhost.conf');

    expect(byName('PassengerStickySessionsCookieAttributes').args).to.deep.equal(['SameSite=Lax; Secure;']);
    expect(byName('Header').blocks.map((b) => b.name)).to.deep.equal(['IfModule', 'Directory', 'IfModule']);
    expect(byName('PassengerAppEnv').args).to.deep.equal(['staging']);
    expect(byName('PassengerAppEnv').blocks.map((b) => b.name)).to.deep.equal(['IfModule']);

    const require = byName('Require');
    expect(require.args).to.deep.equal(['ip', '127.0.0.1', '::1']);
    expect([require.line, require.endLine]).to.deep.equal([14, 15]);
    expect(require.raw).to.equal('  Require ip 127.0.0.1 \\\n          ::1');
    expect(require.key).to.equal(undefined);

    const managed = parsed.directives.filter((d) => d.inManagedBlock).map((d) => `${d.name} ${d.args.join(' ')}`);
    expect(managed).to.deep.equal(['PassengerMinInstances 1', 'PassengerMaxRequests 0']);
    expect(byName('PassengerMaxInstances').inManagedBlock).to.equal(false);
    expect(byName('PassengerMaxInstances').blocks).to.deep.equal([]);
    // A directive name inside a comment is not a directive.
    expect(parsed.directives.filter((d) => d.name === 'PassengerMaxRequests')).to.have.length(1);
  });

  it('keeps every line as an item, unknown ones included', () => {
    const text = readFixture('config/nested-apache.conf');
    const parsed = parseApacheConfig(text);
    const lines = parsed.items.reduce((n, it) => n + it.raw.split('\n').length, 0);
    expect(lines).to.equal(text.split('\n').length - 1);
    expect(parsed.items.filter((i) => i.kind === 'comment')).to.have.length(4);
    expect(parsed.items.filter((i) => i.kind === 'blockOpen')).to.have.length(4);
    expect(parsed.items.filter((i) => i.kind === 'blockClose')).to.have.length(4);
  });

  it('reads CRLF files without carrying the carriage return into arguments', () => {
    const parsed = parseApacheConfig(readFixture('config/crlf-vhost.conf'));
    expect(parsed.directives.map((d) => [d.name, d.args, d.line])).to.deep.equal([
      ['PassengerMinInstances', ['2'], 3],
      ['Header', ['set', 'X-Test', 'yes'], 5],
    ]);
    expect(parsed.directives[0]!.raw).to.equal('    PassengerMinInstances 2');
  });

  it('handles empty files and files without a final newline', () => {
    expect(parseApacheConfig('').directives).to.deep.equal([]);
    expect(parseApacheConfig(readFixture('config/empty.conf')).items).to.deep.equal([]);
    const parsed = parseApacheConfig(readFixture('config/no-final-newline.conf'));
    expect(parsed.directives.map((d) => d.args[0])).to.deep.equal(['on', '3']);
  });

  it('reports unbalanced sections and open quotes without giving up', () => {
    const parsed = parseApacheConfig('<Directory /x>\nPassengerEnabled on\n</Location>\nHeader set X "open\n<IfModule a>\n');
    expect(parsed.problems.map((p) => p.line)).to.deep.equal([3, 4, 1, 5]);
    expect(parsed.problems[0]!.message).to.contain('closes <Directory>');
    expect(parsed.items.find((i) => i.line === 3)!.kind).to.equal('unknown');
    expect(parsed.directives.map((d) => d.name)).to.deep.equal(['PassengerEnabled', 'Header']);
    expect(parseApacheConfig('</IfModule>\n').problems[0]!.message).to.contain('no matching opening');
  });

  it('closes sections case-insensitively and splits arguments like Apache', () => {
    const parsed = parseApacheConfig('<ifmodule mod_passenger.c>\nPassengerEnabled off\n</IFMODULE>\n');
    expect(parsed.problems).to.deep.equal([]);
    expect(splitApacheArgs(`a "b c" 'd "e"' "f \\"g\\"" h\\i`).args).to.deep.equal(['a', 'b c', 'd "e"', 'f "g"', 'h\\i']);
    expect(splitApacheArgs('"open').unclosedQuote).to.equal(true);
  });
});
