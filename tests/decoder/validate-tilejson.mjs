// Validates TileJSON documents against the TileJSON 3.0.0 JSON schema with ajv; prints
// {"file": [errors...]} and exits 1 when any is invalid. Usage: node validate-tilejson.mjs FILE...
import { readFileSync } from 'node:fs';
import Ajv from 'ajv';

const schema = JSON.parse(readFileSync(new URL('./tilejson-3.0.0.schema.json', import.meta.url)));
// the schema carries a top-level "name", which ajv's strict mode would reject as a keyword
const validate = new Ajv({ strict: false, allErrors: true }).compile(schema);
const result = {};
let ok = true;
for (const file of process.argv.slice(2)) {
  const valid = validate(JSON.parse(readFileSync(file, 'utf8')));
  result[file] = valid ? [] : validate.errors;
  ok = ok && valid;
}
process.stdout.write(JSON.stringify(result));
process.exit(ok ? 0 : 1);
