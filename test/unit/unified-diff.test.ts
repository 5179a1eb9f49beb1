import { expect } from 'chai';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { unifiedDiff } from '../../backend/src/apply/unified-diff.js';

/** Applies our diff with GNU patch: the diff is right when patch turns `before` into exactly `after`. */
function patchedBy(before: string, after: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'pp-diff-'));
  try {
    const file = join(dir, 'f.conf');
    writeFileSync(file, before, 'latin1');
    const diff = unifiedDiff('/f.conf', before, after);
    writeFileSync(join(dir, 'p.diff'), diff, 'latin1');
    execFileSync('patch', ['--quiet', '--binary', file, join(dir, 'p.diff')]);
    return readFileSync(file, 'latin1');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('apply/unified-diff', () => {
  it('is empty for equal texts', () => {
    expect(unifiedDiff('/x', 'a\nb\n', 'a\nb\n')).to.equal('');
  });

  it('renders a diff -u hunk with context and counts', () => {
    const before = 'one\ntwo\nthree\nfour\nfive\n';
    const after = 'one\ntwo\nthree\n# begin\nX on\n# end\nfour\nfive\n';
    const diff = unifiedDiff('/etc/vhost.conf', before, after);
    expect(diff).to.equal(
      '--- a/etc/vhost.conf\n+++ b/etc/vhost.conf\n@@ -1,5 +1,8 @@\n one\n two\n three\n+# begin\n+X on\n+# end\n four\n five\n',
    );
  });

  it('marks a missing final newline and keeps CR bytes, so GNU patch reproduces the exact bytes', () => {
    const cases: Array<[string, string]> = [
      ['a\r\nb\r\nc', 'a\r\nb\r\nc\n# begin\nX\n# end\n'],
      ['keep\nno newline', 'keep\nno newline\n# begin\nY 1\n# end\n'],
      ['', '# begin\nZ\n# end\n'],
      ['x\n# begin\nold\n# end\ny', 'x\ny'],
    ];
    for (const [before, after] of cases) expect(patchedBy(before, after)).to.equal(after);
    expect(unifiedDiff('/f', 'a\nb', 'a\nb\n')).to.contain('\\ No newline at end of file');
  });

  it('lets GNU patch rebuild the exact bytes of any mix of LF, CRLF and lone CR', () => {
    // A fixed-seed generator, so a failure names the same texts on every run.
    let seed = 7;
    const next = (): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed / 2147483648;
    };
    const pieces = ['a', 'b', '\r', '\n', '\r\n', 'X on'];
    const text = (): string => Array.from({ length: Math.floor(next() * 14) }, () => pieces[Math.floor(next() * pieces.length)]).join('');
    for (let i = 0; i < 150; i++) {
      const before = text();
      const after = text();
      if (before === after) continue;
      expect(patchedBy(before, after), JSON.stringify({ before, after })).to.equal(after);
    }
  });

  it('splits distant changes into separate hunks that patch applies', () => {
    const lines = Array.from({ length: 40 }, (_, i) => `line ${i}`);
    const before = `${lines.join('\n')}\n`;
    const changed = [...lines];
    changed[2] = 'changed 2';
    changed[30] = 'changed 30';
    changed.splice(35, 1);
    const after = `${changed.join('\n')}\n`;
    const diff = unifiedDiff('/f', before, after);
    expect(diff.match(/^@@/gm)).to.have.length(2);
    expect(patchedBy(before, after)).to.equal(after);
  });

  it('shows a created file against /dev/null', () => {
    const diff = unifiedDiff('/d/.htaccess', '', 'A\n', { existedBefore: false });
    expect(diff.startsWith('--- /dev/null\n+++ b/d/.htaccess\n@@ -0,0 +1,1 @@\n+A\n')).to.equal(true);
  });
});
