// Lints an OpenAPI document with Redocly's rules (the settings file names them), then
// checks what contract-testing tools need to run the document as shipped: an example for
// every path parameter, and Retry-After on every 429. Prints each problem; exit 1 if any.
// Usage: node lint.mjs OPENAPI.json REDOCLY.yaml
import { readFileSync } from 'node:fs';
import { lint, loadConfig } from '@redocly/openapi-core';

const [doc, settings] = process.argv.slice(2);
const config = await loadConfig({ configPath: settings });
const problems = (await lint({ ref: doc, config })).map(
  (p) => `${p.severity} ${p.ruleId}: ${p.message} at ${p.location?.[0]?.pointer}`);

const api = JSON.parse(readFileSync(doc, 'utf8'));
const resolve = (x) => {
  while (x && x.$ref) x = x.$ref.split('/').slice(1).reduce((o, k) => o[k], api);
  return x;
};
const methods = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];
for (const [path, item] of Object.entries(api.paths)) {
  for (const method of methods.filter((m) => item[m])) {
    const op = item[method];
    for (const param of [...(item.parameters ?? []), ...(op.parameters ?? [])].map(resolve)) {
      if (param.in === 'path' && param.example === undefined && param.examples === undefined &&
          param.schema?.example === undefined)
        problems.push(`error path-param-example: {${param.name}} has no example at ${method} ${path}`);
    }
    const limited = resolve(op.responses?.['429']);
    if (limited && !limited.headers?.['Retry-After'])
      problems.push(`error retry-after: 429 without Retry-After at ${method} ${path}`);
  }
}
for (const p of problems) console.log(p);
console.log(`${doc}: ${problems.length} problem(s)`);
process.exit(problems.length ? 1 : 0);
