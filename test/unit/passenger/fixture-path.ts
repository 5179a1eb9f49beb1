import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** Absolute path of a file under test/fixtures/ (tests run compiled from dist/test/...). */
export function fixturePath(relative: string): string {
  return fileURLToPath(new URL(`../../../../test/fixtures/${relative}`, import.meta.url));
}

/** A fixture as latin1 text, so every byte round-trips (the XML is iso-8859-1, files may be anything). */
export function readFixture(relative: string): string {
  return readFileSync(fixturePath(relative), 'latin1');
}
