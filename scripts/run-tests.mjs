// Runs the test suite with node:test (through tsx). `node scripts/run-tests.mjs [unit|integration]`.
// node:test on Node 20 does not find .ts files itself, so the list is built here.
import { spawnSync } from 'node:child_process';
import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  const out = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...find(path));
    else if (name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

const which = process.argv[2];
let files = find('test').sort();
if (which === 'unit') files = files.filter((f) => !f.startsWith(join('test', 'integration')));
if (which === 'integration') files = files.filter((f) => f.startsWith(join('test', 'integration')));
const args = ['--import', 'tsx', '--test', '--test-concurrency=2', '--test-reporter=spec', ...files];
const result = spawnSync(process.execPath, args, { stdio: 'inherit' });
process.exit(result.status ?? 1);
