#!/usr/bin/env node
// Builds the installable Plesk extension: plesk-ext/build/passenger-panel-<version>-<release>.zip
// with meta.xml, htdocs/, plib/, sbin/, _meta/ at the root (the layout `plesk bin extension --install`
// reads) and the compiled backend under plib/backend/, which post-install.php copies out and runs.
// The zip is written here with node:zlib so packing needs nothing beyond Node.
import { crc32, deflateRawSync } from 'node:zlib';
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = join(dirname(fileURLToPath(import.meta.url)), '..');
const extDir = join(repo, 'plesk-ext');

/** Files below `dir` (sorted, so two packs of one tree are byte-identical apart from nothing). */
function walk(dir) {
  const out = [];
  for (const name of readdirSync(dir).sort()) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...walk(path));
    else if (st.isFile()) out.push(path);
  }
  return out;
}

function fail(message) {
  console.error(`pack:plesk: ${message}`);
  process.exit(1);
}

/** [zip name, absolute path] pairs. */
function collectEntries() {
  const entries = [['meta.xml', join(repo, 'meta.xml')]];
  for (const top of ['htdocs', 'plib', 'sbin', '_meta']) {
    const dir = join(extDir, top);
    if (!existsSync(dir)) fail(`plesk-ext/${top}/ is missing`);
    for (const file of walk(dir)) entries.push([relative(extDir, file).split(sep).join('/'), file]);
  }
  const dist = join(repo, 'dist', 'backend', 'src');
  if (!existsSync(join(dist, 'main.js'))) fail('dist/backend/src/main.js is missing: run `npm run build` first');
  for (const file of walk(dist)) {
    if (file.endsWith('.js')) entries.push([`plib/backend/${relative(repo, file).split(sep).join('/')}`, file]);
  }
  for (const file of walk(join(repo, 'views'))) entries.push([`plib/backend/${relative(repo, file).split(sep).join('/')}`, file]);
  for (const name of ['package.json', 'package-lock.json']) entries.push([`plib/backend/${name}`, join(repo, name)]);
  return entries;
}

function dosDateTime(date) {
  const time = (date.getHours() << 11) | (date.getMinutes() << 5) | Math.floor(date.getSeconds() / 2);
  const day = ((date.getFullYear() - 1980) << 9) | ((date.getMonth() + 1) << 5) | date.getDate();
  return { time, day };
}

/** A zip (PKWARE APPNOTE 4.3.x, no zip64: the package is far below 4 GiB) with unix modes kept. */
export function buildZip(entries, when = new Date(Date.UTC(2026, 0, 1))) {
  const { time, day } = dosDateTime(when);
  const locals = [];
  const centrals = [];
  let offset = 0;
  for (const [name, path] of entries) {
    const data = readFileSync(path);
    const mode = statSync(path).mode & 0o777;
    const deflated = deflateRawSync(data, { level: 9 });
    const useDeflate = deflated.length < data.length;
    const body = useDeflate ? deflated : data;
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);

    // The local and the central header share one run of fields: version needed .. name length.
    const shared = Buffer.alloc(26);
    shared.writeUInt16LE(20, 0); // version needed: 2.0 (deflate)
    shared.writeUInt16LE(0x0800, 2); // names are UTF-8
    shared.writeUInt16LE(useDeflate ? 8 : 0, 4);
    shared.writeUInt16LE(time, 6);
    shared.writeUInt16LE(day, 8);
    shared.writeUInt32LE(crc, 10);
    shared.writeUInt32LE(body.length, 14);
    shared.writeUInt32LE(data.length, 18);
    shared.writeUInt16LE(nameBytes.length, 22);

    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    shared.copy(local, 4, 0, 26);
    locals.push(local, nameBytes, body);

    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE((3 << 8) | 20, 4); // made by: unix, so the mode in the external attributes counts
    shared.copy(central, 6, 0, 24);
    central.writeUInt32LE(((0o100000 | mode) << 16) >>> 0, 38);
    central.writeUInt32LE(offset, 42);
    centrals.push(central, nameBytes);

    offset += local.length + nameBytes.length + body.length;
  }
  const centralSize = centrals.reduce((n, b) => n + b.length, 0);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(centralSize, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, ...centrals, end]);
}

function metaField(xml, field) {
  const match = new RegExp(`<${field}>([^<]+)</${field}>`).exec(xml);
  if (!match) fail(`meta.xml has no <${field}>`);
  return match[1].trim();
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const meta = readFileSync(join(repo, 'meta.xml'), 'utf8');
  const id = metaField(meta, 'id');
  const out = process.argv[2] ?? join(extDir, 'build', `${id}-${metaField(meta, 'version')}-${metaField(meta, 'release')}.zip`);
  const entries = collectEntries();
  mkdirSync(dirname(out), { recursive: true });
  const zip = buildZip(entries);
  writeFileSync(out, zip);
  console.log(`${out} (${entries.length} files, ${(zip.length / 1024).toFixed(1)} KiB)`);
  console.log(`Install on a Plesk server: plesk bin extension --install ${out.split(sep).pop()}`);
}
