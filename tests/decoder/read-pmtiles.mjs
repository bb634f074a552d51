// Reads a PMTiles archive with the `pmtiles` npm package (Protomaps' reader, the one
// MapLibre sites use) — independent of the Rust crate that wrote it — and prints JSON:
// {header, metadata, tiles: {"z/x/y": hex of the decompressed tile | null}}.
// Usage: node read-pmtiles.mjs ARCHIVE < coords (one "z/x/y" per line).
import { closeSync, openSync, readFileSync, readSync } from 'node:fs';
import { PMTiles } from 'pmtiles';

/** A pmtiles Source over a local file, by byte ranges as an HTTP server would serve them. */
class FileSource {
  constructor(path) {
    this.path = path;
    this.fd = openSync(path, 'r');
  }

  getKey() {
    return this.path;
  }

  async getBytes(offset, length) {
    const buf = Buffer.alloc(length);
    const n = readSync(this.fd, buf, 0, length, offset);
    const data = buf.buffer.slice(buf.byteOffset, buf.byteOffset + n);
    return { data };
  }
}

const [archive] = process.argv.slice(2);
const source = new FileSource(archive);
const pm = new PMTiles(source);
const header = await pm.getHeader();
const metadata = await pm.getMetadata();
const coords = readFileSync(0, 'utf8').split('\n').map((l) => l.trim()).filter(Boolean);
const tiles = {};
for (const c of coords) {
  const [z, x, y] = c.split('/').map(Number);
  const r = await pm.getZxy(z, x, y);
  tiles[c] = r ? Buffer.from(r.data).toString('hex') : null;
}
closeSync(source.fd);
process.stdout.write(JSON.stringify({ header, metadata, tiles }));
