/** The inventory's tar reader on archives made by GNU tar, whole and cut short. */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { expect } from 'chai';
import { readTarGz } from '../../../backend/src/plesk/tar.js';

const LONG_DIR = `deep/${'d'.repeat(120)}`;
const EVERY_BYTE = Buffer.from([...Array(256).keys()]);

/** A tar of a few files, as GNU tar writes it in the given format. */
function gnuTar(format: 'gnu' | 'pax'): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'pp-tar-'));
  try {
    mkdirSync(join(dir, LONG_DIR), { recursive: true });
    writeFileSync(join(dir, LONG_DIR, 'bytes.bin'), EVERY_BYTE);
    writeFileSync(join(dir, 'crlf.conf'), 'A 1\r\nB 2\r\n');
    writeFileSync(join(dir, 'empty'), '');
    return execFileSync('tar', [`--format=${format}`, '-C', dir, '-cf', '-', 'crlf.conf', 'empty', 'deep']);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function refusal(input: Buffer): Promise<unknown> {
  return readTarGz(input).then(
    () => 'accepted',
    (err: unknown) => err,
  );
}

describe('plesk/tar', () => {
  for (const format of ['gnu', 'pax'] as const) {
    it(`reads regular files byte for byte from a ${format} archive, long names included, directories left out`, async () => {
      const files = await readTarGz(gzipSync(gnuTar(format)));
      expect([...files.keys()].sort()).to.deep.equal(['crlf.conf', `${LONG_DIR}/bytes.bin`, 'empty']);
      expect(files.get(`${LONG_DIR}/bytes.bin`)).to.deep.equal(EVERY_BYTE);
      expect(files.get('crlf.conf')!.toString('latin1')).to.equal('A 1\r\nB 2\r\n');
      expect(files.get('empty')!.length).to.equal(0);
    });
  }

  it('refuses an archive that ends inside an entry, even in a whole gzip stream', async () => {
    const tar = gnuTar('gnu');
    const data = tar.indexOf(EVERY_BYTE);
    expect(data).to.be.above(0);
    // Cut in the middle of the last file's bytes, as a dropped connection would.
    expect(await refusal(gzipSync(tar.subarray(0, data + 100))))
      .to.be.instanceOf(Error)
      .with.property('message')
      .match(/end/i);
  });

  it('refuses a gzip stream cut short', async () => {
    const gz = gzipSync(gnuTar('gnu'));
    expect(await refusal(gz.subarray(0, gz.length - 10))).to.be.instanceOf(Error);
    expect(await refusal(Buffer.from('not gzip at all'))).to.be.instanceOf(Error);
  });
});
