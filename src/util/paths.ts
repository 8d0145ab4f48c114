// Where tsovs's files are: the package root (for schema/ and labs/) and the run directory.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let root: string | undefined;

/** The directory holding tsovs's package.json (works from src/ under tsx and from dist/). */
export function packageRoot(): string {
  if (root !== undefined) return root;
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) || !existsSync(join(dir, 'schema'))) {
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the tsovs package root');
    dir = up;
  }
  root = dir;
  return dir;
}

/** The path of one of the schema files shipped in schema/. */
export function schemaPath(file: string): string {
  return join(packageRoot(), 'schema', file);
}

/** The run directory (pid files, sockets): $TSOVS_RUNDIR, or /var/run/tsovs — OVS's OVS_RUNDIR. */
export function runDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSOVS_RUNDIR || '/var/run/tsovs';
}

/** The database directory: $TSOVS_DBDIR, or the run directory. */
export function dbDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TSOVS_DBDIR || runDir(env);
}
