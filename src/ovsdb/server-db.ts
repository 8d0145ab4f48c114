// The _Server database that ovsdb-server serves beside the others: one Database row per served
// database (name, model, connected, leader, schema), kept current, read-only to clients.
import { randomUUID } from 'node:crypto';
import { schemaPath } from '../util/paths.js';
import { type Changes, Database } from './database.js';
import { EMPTY_SET, scalarDatum } from './datum.js';
import { readSchemaFile } from './schema.js';

/** The in-memory _Server database. */
export class ServerDatabase {
  readonly db = new Database(readSchemaFile(schemaPath('_server.ovsschema')));

  constructor() {
    this.add('_Server', this.db, 'in-memory');
  }

  /** Adds the row describing a served database. */
  add(name: string, served: Database, _model: 'standalone' | 'in-memory'): void {
    const table = this.db.table('Database');
    const s = table.schema;
    const values = new Map([
      ['name', scalarDatum(name)],
      ['model', scalarDatum('standalone')],
      ['connected', scalarDatum(true)],
      ['leader', scalarDatum(true)],
      ['schema', name === '_Server' ? EMPTY_SET : scalarDatum(JSON.stringify(served.schema.toJson()))],
    ]);
    const data = s.columns.map((c) => values.get(c.name) ?? EMPTY_SET);
    const uuid = randomUUID();
    const changes: Changes = new Map([
      ['Database', new Map([[uuid, { old: null, new: { uuid, version: randomUUID(), data } }]])],
    ]);
    this.db.commit(changes);
  }
}
