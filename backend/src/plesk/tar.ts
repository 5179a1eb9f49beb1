/**
 * Reads the gzip'd tar the inventory read packs with the remote `tar` into name -> bytes for regular
 * files. node:zlib undoes the gzip (its trailer check refuses a cut stream) and tar-stream reads the
 * archive (ustar, GNU long names, pax records; it refuses an archive that ends inside an entry).
 * Entries are read one at a time, so a per-entry size cap can sit in the loop.
 */
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { extract } from 'tar-stream';

export async function readTarGz(gzipped: Uint8Array | Readable): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  const source = gzipped instanceof Readable ? gzipped : Readable.from([gzipped]);
  const archive = extract();
  const consume = async (): Promise<void> => {
    for await (const entry of archive) {
      const chunks: Buffer[] = [];
      for await (const chunk of entry) chunks.push(chunk as Buffer);
      const type = entry.header.type;
      if (type === 'file' || type === 'contiguous-file') files.set(entry.header.name, Buffer.concat(chunks));
    }
  };
  await Promise.all([pipeline(source, createGunzip(), archive), consume()]);
  return files;
}
