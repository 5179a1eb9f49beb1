import { expect } from 'chai';
import {
  BEGIN_MARKER,
  END_MARKER,
  ManagedBlockError,
  detectLineEnd,
  findManagedBlock,
  managedBlockBody,
  removeManagedBlock,
  renderManagedBlock,
  replaceManagedBlock,
} from '../../../backend/src/passenger/managed-block.js';
import { readFixture } from './fixture-path.js';

const body = ['PassengerStickySessions on', 'PassengerMinInstances 1'];

/** Adds a block, changes it, removes it: the original must come back byte for byte. */
function roundTrip(original: string): void {
  const added = replaceManagedBlock(original, body);
  expect(added.startsWith(original)).to.equal(true);
  expect(managedBlockBody(added)).to.deep.equal(body);
  const changed = replaceManagedBlock(added, ['PassengerMaxRequests 0']);
  expect(managedBlockBody(changed)).to.deep.equal(['PassengerMaxRequests 0']);
  expect(replaceManagedBlock(changed, body)).to.equal(added);
  expect(removeManagedBlock(changed)).to.equal(original);
  expect(removeManagedBlock(added)).to.equal(original);
}

describe('managed block', () => {
  it('renders markers around the body with the requested line end', () => {
    expect(renderManagedBlock(body)).to.equal(`${BEGIN_MARKER}\n${body[0]}\n${body[1]}\n${END_MARKER}\n`);
    expect(renderManagedBlock([], '\r\n')).to.equal(`${BEGIN_MARKER}\r\n${END_MARKER}\r\n`);
    expect(() => renderManagedBlock(['a\nb'])).to.throw(/line break/);
    expect(() => renderManagedBlock([END_MARKER])).to.throw(/marker/);
  });

  it('creates a missing or empty file with just the block', () => {
    expect(replaceManagedBlock(null, body)).to.equal(renderManagedBlock(body));
    expect(replaceManagedBlock('', body)).to.equal(renderManagedBlock(body));
    expect(removeManagedBlock(renderManagedBlock(body))).to.equal('');
    expect(removeManagedBlock(null)).to.equal('');
    expect(findManagedBlock(null)).to.equal(null);
  });

  it('round-trips LF, CRLF, no final newline and the odd fixtures byte for byte', () => {
    for (const original of [
      'ServerAlias a\n',
      'ServerAlias a',
      'ServerAlias a\r\nHeader set X 1\r\n',
      'ServerAlias a\r\nHeader set X 1',
      '\n\n',
      readFixture('config/empty.conf'),
      readFixture('config/crlf-vhost.conf'),
      readFixture('config/no-final-newline.conf'),
    ]) {
      roundTrip(original);
    }
  });

  it('keeps a lone CR (and any mix of CR and LF) at the end of a file through add and remove', () => {
    const pieces = ['a', '\r', '\n', '\r\n', ' '];
    const originals = new Set<string>(['x\r', 'x\r\r', 'x\n\r', 'x\r\n\r', '\r', 'x\r\nY\r', 'x\nY\r']);
    // Every string of up to four pieces: enough to put a lone CR beside every kind of line end.
    const grow = (prefix: string, depth: number): void => {
      originals.add(prefix);
      if (depth < 4) for (const p of pieces) grow(prefix + p, depth + 1);
    };
    grow('ServerAlias a', 0);
    for (const original of originals) roundTrip(original);
  });

  it('uses the line end the file uses, even inside the block', () => {
    const crlf = readFixture('config/crlf-vhost.conf');
    const added = replaceManagedBlock(crlf, body);
    expect(added.slice(crlf.length)).to.equal(renderManagedBlock(body, '\r\n'));
    expect(added.replace(/\r\n/g, '')).to.not.contain('\n');
  });

  it('replaces a block in the middle of a file and keeps the rest byte for byte', () => {
    const text = readFixture('config/nested-apache.conf');
    const block = findManagedBlock(text)!;
    expect(block.beginLine).to.equal(18);
    expect(block.endLine).to.equal(21);
    expect(block.body).to.deep.equal(['PassengerMinInstances 1', 'PassengerMaxRequests 0']);
    const out = replaceManagedBlock(text, ['PassengerStickySessions on']);
    expect(out.slice(0, block.start)).to.equal(text.slice(0, block.start));
    expect(out.endsWith(text.slice(block.end))).to.equal(true);
    expect(managedBlockBody(out)).to.deep.equal(['PassengerStickySessions on']);
    const removed = removeManagedBlock(text);
    expect(removed).to.equal(text.slice(0, block.start) + text.slice(block.end));
  });

  it('keeps a block at the end of a file without final newline that way when replaced', () => {
    const text = `A\n${BEGIN_MARKER}\nx\n${END_MARKER}`;
    expect(replaceManagedBlock(text, ['y'])).to.equal(`A\n${BEGIN_MARKER}\ny\n${END_MARKER}`);
    expect(removeManagedBlock(text)).to.equal('A');
  });

  it('refuses duplicated, reversed or unbalanced markers with the line numbers', () => {
    const cases: [string, RegExp][] = [
      [`${BEGIN_MARKER}\n${END_MARKER}\n${BEGIN_MARKER}\n${END_MARKER}\n`, /begin marker appears 2 times \(lines 1, 3\)/],
      [`${BEGIN_MARKER}\nx\n${END_MARKER}\n${END_MARKER}\n`, /end marker appears 2 times/],
      [`a\n${BEGIN_MARKER}\nx\n`, /begin marker at line 2 has no end marker/],
      [`${END_MARKER}\n`, /end marker at line 1 has no begin marker/],
      [`${END_MARKER}\n${BEGIN_MARKER}\n`, /end marker \(line 1\) comes before the begin marker \(line 2\)/],
    ];
    for (const [text, why] of cases) {
      for (const op of [
        () => findManagedBlock(text, 'vhost.conf'),
        () => replaceManagedBlock(text, body),
        () => removeManagedBlock(text),
      ]) {
        let caught: unknown;
        try {
          op();
        } catch (err) {
          caught = err;
        }
        expect(caught).to.be.instanceOf(ManagedBlockError);
        expect((caught as Error).message).to.match(why);
        expect((caught as ManagedBlockError).hint).to.contain('by hand');
      }
    }
  });

  it('names the file in its errors and recognises indented markers', () => {
    expect(() => findManagedBlock(`${END_MARKER}\n`, '/var/www/vhosts/system/a.test/conf/vhost.conf')).to.throw(
      /^\/var\/www\/vhosts\/system\/a\.test\/conf\/vhost\.conf: /,
    );
    expect(findManagedBlock(`  ${BEGIN_MARKER}\n  x\n\t${END_MARKER}\n`)!.body).to.deep.equal(['  x']);
  });

  it('tells the line end a file mostly uses', () => {
    expect(detectLineEnd('')).to.equal('\n');
    expect(detectLineEnd('a\r\nb\r\nc\n')).to.equal('\r\n');
    expect(detectLineEnd('a\nb\r\n')).to.equal('\n');
  });
});
