// The switch daemon as an object (OVS's ovs-vswitchd): connects to the database, replicates the tables
// it needs, builds the datapath and ofproto, keeps them in line with the database (reconciler.ts) and
// serves unixctl. `tsovs vswitchd` (src/cli/vswitchd.ts) wraps it in a process; tests run it in-process.
import type { Datapath } from '../datapath/datapath.js';
import { NetdevDatapath } from '../datapath/dpif-netdev.js';
import type { UpcallHandler } from '../datapath/upcall.js';
import { LinkMonitor } from '../netdev/link-monitor.js';
import { native, nativeAvailable } from '../netdev/native.js';
import type { Netdev } from '../netdev/netdev.js';
import { setTunnelLog } from '../netdev/tunnel.js';
import { Ofproto } from '../ofproto/ofproto.js';
import { OvsdbConnectError, OvsdbConnection, ReconnectBackoff } from '../ovsdb/client/connection.js';
import { Replica } from '../ovsdb/client/replica.js';
import { rundir } from '../unixctl/rundir.js';
import { UnixctlServer } from '../unixctl/server.js';
import { registerCommands } from './commands.js';
import { SELECTION } from './config.js';
import { Coverage } from './coverage.js';
import { type DummyLevel, datapathTypes, ifaceTypes, type NetdevOpener, netdevOpener } from './netdevs.js';
import { OpenFlowService, openFlowSwitchOf } from './openflow.js';
import { portAdminControl, portInfoSource } from './port-info.js';
import { Reconciler, type ReconcilerHooks } from './reconciler.js';
import { type OfprotoApi, SwitchState } from './switch.js';
import { type ModuleLog, Vlog } from './vlog.js';

/** The program name: control socket `ovs-vswitchd.PID.ctl`, pid file `ovs-vswitchd.pid`, `version` reply. */
export const PROGRAM = 'ovs-vswitchd';

/** Counters coverage/show lists from the start. */
const COUNTERS = [
  'bridge_reconfigure',
  'dpif_port_add',
  'dpif_port_del',
  'netdev_get_stats',
  'ofproto_update_port',
  'txn_error',
  'txn_success',
  'txn_try_again',
  'txn_unchanged',
  'xlate_actions',
];

/** Options of Vswitchd.start. */
export interface VswitchdOptions {
  /** --enable-dummy level (default 'none'). */
  readonly dummy?: DummyLevel;
  /** The run directory for the control socket (default $TSOVS_RUNDIR). */
  readonly rundir?: string;
  /** Control socket path, or false for none (default `<rundir>/ovs-vswitchd.<pid>.ctl`). */
  readonly unixctl?: string | false;
  /** Logging (default: a Vlog with console warnings only). */
  readonly vlog?: Vlog;
  /** Clock in ms for the datapath, ofproto and fdb ages (default Date.now). */
  readonly clock?: () => number;
  /** Milliseconds between housekeeping ticks (default 1000). */
  readonly tickMs?: number;
  /** Lower bound of the statistics interval (default 5000, as OVS). */
  readonly minStatsIntervalMs?: number;
  /** Builds the datapath and ofproto (default NetdevDatapath and Ofproto). */
  readonly build?: (clock: () => number, vlog: Vlog) => { datapath: Datapath; ofproto: OfprotoApi };
  /** Opens devices (default: the registered netdev providers at the dummy level). */
  readonly open?: NetdevOpener;
  /** Called by the `exit` command after the daemon stopped (a process exits here). */
  readonly onExit?: () => void;
  /** Aborts a start that is still waiting for the database (start then rejects, having undone everything). */
  readonly signal?: AbortSignal;
  /** Follow links through rtnetlink (default: when the native addon is there); the tick polls anyway. */
  readonly linkMonitor?: boolean;
}

/** A running switch. */
export class Vswitchd {
  private stopping: Promise<void> | null = null;
  /** The OpenFlow side: BRIDGE.mgmt sockets and controllers (null when the ofproto has none). */
  openflow: OpenFlowService | null = null;

  private constructor(
    readonly connection: OvsdbConnection,
    readonly replica: Replica,
    readonly sw: SwitchState,
    readonly reconciler: Reconciler,
    readonly unixctl: UnixctlServer | null,
    readonly vlog: Vlog,
    readonly coverage: Coverage,
    private readonly links: LinkMonitor | null,
  ) {}

  /**
   * Connects to `remote` (retrying until the server answers, as ovs-vswitchd does), applies the database
   * and resolves once the first status transaction has been committed.
   */
  static async start(remote: string, options: VswitchdOptions = {}): Promise<Vswitchd> {
    const vlog = options.vlog ?? new Vlog(undefined, { console: 'warn' });
    const log = vlog.module('bridge');
    const clock = options.clock ?? Date.now;
    const level = options.dummy ?? 'none';
    const coverage = new Coverage(COUNTERS);
    setTunnelLog(vlog.module('netdev_vport'));
    const { datapath, ofproto } = (options.build ?? defaultBuild)(clock, vlog);
    datapath.setUpcallHandler(countingHandler(ofproto, coverage));
    const sw = new SwitchState(datapath, ofproto, options.open ?? netdevOpener(level), log, coverage);
    if (ofproto instanceof Ofproto) {
      ofproto.setPortInfoSource(portInfoSource(sw, clock));
      ofproto.setDatapathIdSource((name) => {
        const dpid = sw.bridge(name)?.dpid;
        return dpid === undefined || dpid === '' ? undefined : BigInt(`0x${dpid}`);
      });
    }
    let connection: OvsdbConnection | null = null;
    let unixctl: UnixctlServer | null = null;
    let reconciler: Reconciler | null = null;
    let links: LinkMonitor | null = null;
    const ofSwitch = openFlowSwitchOf(ofproto);
    const openflow =
      ofSwitch === null
        ? null
        : new OpenFlowService(ofSwitch, {
            rundir: options.rundir ?? rundir(),
            log: vlog.module('connmgr'),
            clock,
          });
    try {
      if (options.unixctl !== false) {
        unixctl = await UnixctlServer.start({
          program: PROGRAM,
          path: options.unixctl,
          rundir: options.rundir,
          logger: vlog.module('unixctl'),
        });
      }
      connection = await connectWithRetry(remote, vlog.module('reconnect'), options.signal);
      const replica = await Replica.open(connection, 'Open_vSwitch', SELECTION);
      const idl = vlog.module('ovsdb_idl');
      replica.on('invalid', (err) => idl.warn(`database update could not be applied: ${err.message}`));
      reconciler = new Reconciler(replica, sw, log, coverage, {
        datapathTypes: datapathTypes(level),
        ifaceTypes: ifaceTypes(level),
        tickMs: options.tickMs,
        minStatsIntervalMs: options.minStatsIntervalMs,
        clock,
        hooks: openflow === null ? undefined : openflowHooks(openflow, replica, sw),
      });
      const r = reconciler;
      if (ofproto instanceof Ofproto)
        ofproto.setPortAdminControl(portAdminControl(sw, (n) => r.linkChanged(n)));
      if (options.linkMonitor ?? nativeAvailable()) {
        // A port's carrier or admin state reaches the spanning tree at once, not at the next tick.
        links = new LinkMonitor((e) => r.linkChanged(e.name));
      }
      const d = new Vswitchd(connection, replica, sw, reconciler, unixctl, vlog, coverage, links);
      d.openflow = openflow;
      if (unixctl !== null) {
        registerCommands(unixctl, {
          sw,
          replica,
          vlog,
          coverage,
          clock,
          dummies: level !== 'none',
          exit: () => void d.stop().finally(() => options.onExit?.()),
          settled: () => d.settled(),
        });
      }
      await reconciler.start();
      await reconciler.settled();
      try {
        links?.start();
      } catch (err) {
        log.warn(`link monitor unavailable, links are polled every tick: ${(err as Error).message}`);
      }
      if (options.signal?.aborted) {
        await d.stop();
        throw new Error('start aborted');
      }
      return d;
    } catch (err) {
      links?.stop();
      await reconciler?.stop();
      await openflow?.close();
      await unixctl?.close();
      connection?.close();
      sw.close();
      throw err;
    }
  }

  /** The device of interface `name` (tests reach dummy netdevs through it). */
  netdev(name: string): Netdev | undefined {
    return this.sw.iface(name)?.netdev ?? undefined;
  }

  /** Resolves once every pending database change has been applied and its status committed. */
  settled(): Promise<void> {
    return this.reconciler.settled();
  }

  /** Runs one housekeeping tick now (datapath expiry, MAC aging, retries, status). */
  tick(): Promise<void> {
    this.reconciler.tick();
    return this.reconciler.settled();
  }

  /** Stops: closes every netdev (deleting the TAPs it made), the control socket and the connection. */
  stop(): Promise<void> {
    this.stopping ??= (async () => {
      this.links?.stop();
      await this.reconciler.stop();
      await this.openflow?.close();
      await this.unixctl?.close();
      this.replica.close();
      this.connection.close();
      this.sw.close();
      this.vlog.module('vswitchd').info('exiting');
    })();
    return this.stopping;
  }
}

/** Connects to the database, retrying with OVS's backoff (1 s doubling to 8 s) until it answers or `signal` aborts. */
async function connectWithRetry(
  remote: string,
  log: ModuleLog,
  signal?: AbortSignal,
): Promise<OvsdbConnection> {
  const backoff = new ReconnectBackoff();
  for (;;) {
    if (signal?.aborted) throw new Error('start aborted');
    log.info(`${remote}: connecting...`);
    try {
      const c = await OvsdbConnection.open(remote, { reconnect: true, logger: log });
      log.info(`${remote}: connected`);
      return c;
    } catch (err) {
      if (!(err instanceof OvsdbConnectError)) throw err;
      const delay = backoff.failed(performance.now());
      log.info(
        `${remote}: connection attempt failed (${err.reason}); waiting ${delay / 1000} seconds before reconnect`,
      );
      await abortableSleep(delay, signal);
    }
  }
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done);
  });
}

function defaultBuild(clock: () => number, vlog: Vlog): { datapath: Datapath; ofproto: OfprotoApi } {
  const datapath = new NetdevDatapath(clock);
  const trim = () => {
    if (nativeAvailable()) native().mallocTrim();
  };
  return { datapath, ofproto: new Ofproto(datapath, vlog.module('ofproto'), clock, trim) };
}

/** ofproto's upcall handler with translations counted (coverage's xlate_actions): misses only. */
function countingHandler(ofproto: OfprotoApi, coverage: Coverage): UpcallHandler {
  return {
    translate: (key, now) => {
      coverage.add('xlate_actions');
      return ofproto.translate(key, now);
    },
    userspace: (reason, key, buf, offset, length, now) =>
      ofproto.userspace(reason, key, buf, offset, length, now),
  };
}

/** The reconciler's hooks for the OpenFlow side: configure after each pass, Controller status. */
function openflowHooks(openflow: OpenFlowService, replica: Replica, sw: SwitchState): ReconcilerHooks {
  return {
    configured: () =>
      openflow.configure(
        replica,
        sw.bridges().map((b) => b.name),
      ),
    writeStatus: (txn, stats) => openflow.writeStatus(txn, stats),
  };
}
