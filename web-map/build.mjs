// Builds web-map/dist/ for the civmap server to embed: the page sources from src/ and MapLibre GL
// JS from node_modules, copied as they are. No bundler: the page is a few small ES modules and
// MapLibre ships a ready UMD build, so a copy is all a build needs (and all `cargo build` waits on).
import { copyFileSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const src = join(root, 'src');
const dist = join(root, 'dist');
const maplibre = join(root, 'node_modules', 'maplibre-gl', 'dist');

rmSync(dist, { recursive: true, force: true });
mkdirSync(dist, { recursive: true });

// Every page file in src/ (the page's ES modules import each other by relative URL, so the
// browser fetches them from /assets/ as they are; the server embeds whatever dist/ holds).
for (const file of readdirSync(src).filter((name) => /\.(html|js|css)$/.test(name)).sort()) {
  copyFileSync(join(src, file), join(dist, file));
}

// The server does not serve source maps, so drop the reference: a browser with its developer
// tools open would otherwise ask for maplibre-gl.js.map and get a 404.
const maplibreJs = readFileSync(join(maplibre, 'maplibre-gl.js'), 'utf8').replace(
  /\n\/\/# sourceMappingURL=\S+\s*$/,
  '\n'
);
writeFileSync(join(dist, 'maplibre-gl.js'), maplibreJs);
copyFileSync(join(maplibre, 'maplibre-gl.css'), join(dist, 'maplibre-gl.css'));

const { version } = JSON.parse(readFileSync(join(maplibre, '..', 'package.json'), 'utf8'));
console.log(`web-map: wrote ${dist} (maplibre-gl ${version})`);
