// Snooping on a bridge's controller connection (Open vSwitch's connmgr "snoops" and rconn monitors): the
// listener punix:$RUNDIR/BR.snoop accepts connections (ovs-ofctl snoop) and hands each to the controller
// connection most worth watching — the one whose role is primary, else equal, else secondary, among the
// active (tcp:/unix:) controllers — for as long as that controller is configured, across reconnections.
// Every message the switch receives from that controller, and every message it sends to it, after the
// hello exchange, is copied to the snoopers as it is. Snoopers negotiate a version of their own; what they
// send is read and dropped, echo requests included.
import type { Socket } from 'node:net';
import { type Listener, listen } from '../jsonrpc/address.js';
import { DEFAULT_VERSIONS, OfConnection, type OfTap } from '../openflow/conn.js';
import { ROLE_EQUAL, ROLE_MASTER, ROLE_SLAVE } from './connmgr-ofconn.js';

/** What a snooper can be attached to: a controller service and its (at most one) connection's role. */
export interface Snoopable {
  readonly snoopers: Set<OfConnection>;
  /** The role of its current connection, or null while it has none. */
  role(): number | null;
}

/** OVS snoop_preference(): primary 3, equal 2, secondary 1, not connected 0. */
function preference(s: Snoopable): number {
  const role = s.role();
  if (role === ROLE_MASTER) return 3;
  if (role === ROLE_EQUAL) return 2;
  if (role === ROLE_SLAVE) return 1;
  return 0;
}

/** The tap a controller connection gets: each copy goes to every snooper that has negotiated. */
export function snoopTap(snoopers: ReadonlySet<OfConnection>): OfTap {
  return (_direction, bytes) => {
    for (const s of snoopers) if (s.version !== 0 && !s.isClosed) s.sendRaw(bytes);
  };
}

/** Closes every snooper of a service (its controller went away). */
export function closeSnoopers(s: Pick<Snoopable, 'snoopers'>): void {
  for (const c of [...s.snoopers]) c.close();
  s.snoopers.clear();
}

/** A bridge's BR.snoop listener. */
export class SnoopListener {
  private listener: Listener | null = null;

  constructor(
    readonly path: string,
    private readonly bridge: string,
    private readonly candidates: () => Iterable<Snoopable>,
    private readonly log: { info(msg: string): void; warn(msg: string): void },
  ) {}

  /** Binds the socket; a failure is logged (the bridge goes on without snooping). */
  async open(): Promise<void> {
    try {
      this.listener = await listen(`punix:${this.path}`, (socket, name) => this.accept(socket, name));
    } catch (err) {
      this.log.warn(`${this.bridge}: punix:${this.path}: listen failed (${(err as Error).message})`);
    }
  }

  async close(): Promise<void> {
    const l = this.listener;
    this.listener = null;
    await l?.close();
  }

  private accept(socket: Socket, name: string): void {
    let best: Snoopable | null = null;
    for (const c of this.candidates()) if (best === null || preference(c) > preference(best)) best = c;
    if (best === null || this.listener === null) {
      this.log.info(`${this.bridge}: no controller connection to snoop`);
      socket.destroy();
      return;
    }
    socket.on('error', () => undefined);
    const conn = new OfConnection(socket, {
      versions: DEFAULT_VERSIONS,
      answerEcho: false,
      answerErrors: false,
      name: `${this.bridge}<->snoop:${name}`,
    });
    const snoopers = best.snoopers;
    snoopers.add(conn);
    conn.once('close', () => snoopers.delete(conn));
    this.log.info(`${this.bridge}: new monitor connection from ${name}`);
  }
}
