// For working on the page: serves web-map/src/ (and MapLibre from node_modules) as the civmap
// server would embed it, and passes every other request to a running `civmap serve`, so a
// change to the page shows on reload without rebuilding the binary.
//
//   node dev-server.mjs [--api http://127.0.0.1:8080] [--port 8090]
import { readFileSync } from 'node:fs';
import { createServer, request } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(fileURLToPath(import.meta.url));
const args = process.argv.slice(2);
const option = (name, fallback) => {
  const i = args.indexOf(name);
  return i >= 0 && args[i + 1] ? args[i + 1] : fallback;
};
const api = new URL(option('--api', 'http://127.0.0.1:8080'));
const port = Number(option('--port', '8090'));
const TYPES = { js: 'text/javascript', css: 'text/css', html: 'text/html' };

function local(path) {
  const name = path === '/' ? 'index.html' : path.replace(/^\/assets\//, '');
  if (name.includes('/') || name.includes('..')) return null;
  const file = name.startsWith('maplibre-gl.')
    ? join(root, 'node_modules', 'maplibre-gl', 'dist', name)
    : join(root, 'src', name);
  try {
    return { body: readFileSync(file), type: TYPES[name.split('.').pop()] || 'application/octet-stream' };
  } catch {
    return null;
  }
}

createServer((req, res) => {
  const path = new URL(req.url, 'http://x').pathname;
  const file = path === '/' || path.startsWith('/assets/') ? local(path) : null;
  if (file) {
    res.writeHead(200, { 'Content-Type': `${file.type}; charset=utf-8`, 'Cache-Control': 'no-store' });
    res.end(file.body);
    return;
  }
  const upstream = request(
    { host: api.hostname, port: api.port, path: req.url, method: req.method, headers: req.headers },
    (answer) => {
      res.writeHead(answer.statusCode, answer.headers);
      answer.pipe(res);
    }
  );
  upstream.on('error', (error) => {
    res.writeHead(502, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ error: { code: 'bad_gateway', message: String(error.message) } }));
  });
  req.pipe(upstream);
}).listen(port, '127.0.0.1', () => {
  console.log(`web-map dev server: http://127.0.0.1:${port}/ (API: ${api.origin})`);
});
