// A stand-in switch that only listens: it speaks just enough OpenFlow (hello, barrier replies, an empty
// table-features answer) for the real `ovs-ofctl add-flow` / `add-flows` / `mod-flows` / `del-flows`
// to finish, and records every message ovs-ofctl sent, as raw bytes. Tests then compare those bytes with
// what our encoders produce for the same flows.
import { rmSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { OfConnection } from '../../src/openflow/conn.js';
import type { OfMessage } from '../../src/openflow/messages.js';
import type { TableFeatureProp } from '../../src/openflow/messages-stats.js';
import { versionBitmap } from '../../src/openflow/wire.js';
import { type RunResult, runCommand, tempDir } from './daemons.js';

/** One message received from ovs-ofctl. */
export interface Recorded {
  readonly msg: OfMessage;
  readonly raw: Uint8Array;
}

/** The listening stand-in switch. */
export class OfctlRecorder {
  readonly dir = tempDir('ofctl-rec-');
  readonly path = join(this.dir, 'br0.mgmt');
  /** Messages of every connection so far, in arrival order (hello excluded). */
  readonly received: Recorded[] = [];
  /** The same, per connection (ovs-ofctl opens one to learn table and port names, then one for the work). */
  readonly connections: Recorded[][] = [];
  private server: Server | null = null;
  private readonly sockets = new Set<Socket>();

  constructor(private readonly versions: readonly number[]) {}

  async start(): Promise<void> {
    this.server = createServer((socket) => {
      this.sockets.add(socket);
      socket.on('close', () => this.sockets.delete(socket));
      socket.on('error', () => undefined);
      const conn = new OfConnection(socket, {
        versions: versionBitmap([...this.versions]),
        name: 'recorder',
      });
      const mine: Recorded[] = [];
      this.connections.push(mine);
      conn.on('message', (msg, raw) => {
        if (msg.type === 'hello') return;
        const rec = { msg, raw: Uint8Array.from(raw) };
        this.received.push(rec);
        mine.push(rec);
        if (msg.type === 'barrier_request') conn.send({ type: 'barrier_reply', xid: msg.xid });
        // ovs-ofctl 3.1 first asks (on a connection of its own) for the table names and port names it
        // accepts in flows: one table and no ports are enough.
        const table = { tableId: 0, name: 'classifier', maxEntries: 1000000 };
        if (msg.type === 'table_features_request') {
          // Open vSwitch requires the eight non-"miss" properties; empty ones will do.
          const props: TableFeatureProp[] = [
            { kind: 'instructions', ids: [] },
            { kind: 'next_tables', tables: [] },
            { kind: 'write_actions', ids: [] },
            { kind: 'apply_actions', ids: [] },
            { kind: 'match', oxms: [] },
            { kind: 'wildcards', oxms: [] },
            { kind: 'write_setfield', oxms: [] },
            { kind: 'apply_setfield', oxms: [] },
          ];
          const t = { ...table, metadataMatch: 0n, metadataWrite: 0n, config: 0, props };
          conn.send({ type: 'table_features_reply', flags: 0, tables: [t], xid: msg.xid });
        } else if (msg.type === 'table_stats_request') {
          const t = { ...table, wildcards: 0x3fffff, activeCount: 0, lookupCount: 0n, matchedCount: 0n };
          conn.send({ type: 'table_stats_reply', flags: 0, tables: [t], xid: msg.xid });
        } else if (msg.type === 'port_desc_request') {
          conn.send({ type: 'port_desc_reply', flags: 0, ports: [], xid: msg.xid });
        } else if (msg.type === 'features_request') {
          conn.send({
            type: 'features_reply',
            datapathId: 1n,
            nBuffers: 0,
            nTables: 254,
            auxiliaryId: 0,
            capabilities: 0,
            actions: 0,
            ports: [],
            xid: msg.xid,
          });
        }
      });
    });
    await new Promise<void>((res) => this.server?.listen(this.path, res));
  }

  /** Runs ovs-ofctl ARGS with `unix:PATH` substituted for the word "SWITCH"; returns its result. */
  ofctl(args: readonly string[]): Promise<RunResult> {
    const target = `unix:${this.path}`;
    return runCommand(
      'ovs-ofctl',
      args.map((a) => (a === 'SWITCH' ? target : a)),
      {},
      5000,
    );
  }

  /** Forgets what was recorded. */
  clear(): void {
    this.received.length = 0;
    this.connections.length = 0;
  }

  /** What the last connection received. */
  get last(): readonly Recorded[] {
    return this.connections.at(-1) ?? [];
  }

  async stop(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((res) => (this.server ? this.server.close(() => res()) : res()));
    rmSync(this.dir, { recursive: true, force: true });
  }
}
