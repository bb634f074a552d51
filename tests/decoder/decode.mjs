// Decodes Mapbox Vector Tiles with @mapbox/vector-tile (an independent decoder) and prints
// JSON: [{file, layers: {name: {version, extent, features: [{id, type, properties, rings}]}}}].
// `rings` are the raw geometry parts in tile coordinates (for polygons: rings in order,
// with their winding as encoded). Usage: node decode.mjs TILE...
import { readFileSync } from 'node:fs';
import { VectorTile } from '@mapbox/vector-tile';
import Pbf from 'pbf';

const out = process.argv.slice(2).map((file) => {
  const tile = new VectorTile(new Pbf(readFileSync(file)));
  const layers = {};
  for (const [name, layer] of Object.entries(tile.layers)) {
    const features = [];
    for (let i = 0; i < layer.length; i++) {
      const f = layer.feature(i);
      features.push({
        id: f.id ?? null,
        type: f.type,
        properties: f.properties,
        rings: f.loadGeometry().map((ring) => ring.map((p) => [p.x, p.y])),
      });
    }
    layers[name] = { version: layer.version, extent: layer.extent, features };
  }
  return { file, layers };
});
process.stdout.write(JSON.stringify(out));
