// The IEEE 802.1D-1998 (clause 8) Spanning Tree protocol engine for one bridge, with no I/O: time comes in
// through tick()/receiveBpdu() and BPDUs leave through the sendBpdu callback (bpdu.ts has the wire format).
import { type Bpdu, type ConfigBpdu, isStpParseError, parseStpFrame } from './bpdu.js';

/** Port states of 802.1D 8.4. */
export type StpState = 'disabled' | 'blocking' | 'listening' | 'learning' | 'forwarding';
/** Port roles as Open vSwitch reports them. */
export type StpRole = 'root' | 'designated' | 'alternate' | 'disabled';

/** Defaults of Open vSwitch (lib/stp.h): priorities and times in milliseconds. */
export const STP_DEFAULT_BRIDGE_PRIORITY = 32768;
export const STP_DEFAULT_PORT_PRIORITY = 128;
export const STP_DEFAULT_HELLO_TIME = 2000;
export const STP_DEFAULT_MAX_AGE = 20000;
export const STP_DEFAULT_FORWARD_DELAY = 15000;
/** Highest STP port number (port numbers are 8 bits in 802.1D-1998). */
export const STP_MAX_PORTS = 255;

const MAC_BITS = (1n << 48n) - 1n;
/** OVS adds one timer tick (1/256 s) of age per hop. */
const MESSAGE_AGE_INCREMENT = 1;
/** 802.1D Hold Time: at most one Configuration BPDU per port per second. */
const HOLD_TIME = msToTicks(1000);

/** Error codes of the engine's control-plane calls. */
export type StpErrorCode =
  | 'STP_NO_SUCH_PORT'
  | 'STP_PORT_EXISTS'
  | 'STP_INVALID_ARGUMENT'
  | 'STP_NO_SUCH_BRIDGE';

/** A misuse of the engine's API (bad port number, value out of range); BPDUs never cause one. */
export class StpError extends Error {
  constructor(
    readonly code: StpErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'StpError';
  }
}

/** Construction parameters of one bridge's STP engine. */
export interface StpOptions {
  /** Bridge identifier: priority << 48 | MAC; a zero priority means the default 32768, as in OVS. */
  bridgeId: bigint;
  /** Requested times in ms (clamped as OVS does); used when this bridge is the root. */
  helloTime?: number;
  maxAge?: number;
  forwardDelay?: number;
  /** Called to transmit `bpdu` on port `portNo`; it must not re-enter the engine synchronously. */
  sendBpdu: (portNo: number, bpdu: Bpdu) => void;
  /** Current time in ms (any monotonic origin). */
  now: number;
  /** Called whenever a port changes state (after the engine's own bookkeeping). */
  onPortStateChange?: (portNo: number, state: StpState) => void;
}

/** Per-port parameters for addPort(). */
export interface StpPortOptions {
  /** Port priority, 0-255 (default 128). */
  priority?: number;
  /** Path cost, 0-65535 (OVS takes any 16-bit value); default from speedMbps. */
  pathCost?: number;
  /** Link speed used for the default path cost; OVS 3.1 assumes 10 Gb/s when unknown. */
  speedMbps?: number;
  /** Whether the link is up (default true); a down port is 'disabled'. */
  enabled?: boolean;
  /** Name shown by stp/show (default the port number). */
  name?: string;
}

/** A snapshot of one port, for status and stp/show. */
export interface StpPortInfo {
  portNo: number;
  name: string;
  portId: number;
  state: StpState;
  role: StpRole;
  pathCost: number;
  secondsInState: number;
  txCount: number;
  rxCount: number;
  errorCount: number;
}

/** A count-up timer in 1/256 s ticks (802.1D 8.5.4/8.5.6). */
class Timer {
  active = false;
  value = 0;

  start(value: number): void {
    this.value = value;
    this.active = true;
  }

  stop(): void {
    this.active = false;
  }

  /** Advances by `elapsed` ticks; true (and stopped) once it reaches `timeout`. */
  expired(elapsed: number, timeout: number): boolean {
    if (!this.active) return false;
    this.value += elapsed;
    if (this.value < timeout) return false;
    this.active = false;
    return true;
  }
}

/** One port's variables (802.1D 8.5.5) and counters. */
class StpPort {
  state: StpState = 'disabled';
  designatedRoot = 0n;
  designatedCost = 0;
  designatedBridge = 0n;
  designatedPort = 0;
  topologyChangeAck = false;
  configPending = false;
  changeDetection = true;
  readonly messageAgeTimer = new Timer();
  readonly forwardDelayTimer = new Timer();
  readonly holdTimer = new Timer();
  txCount = 0;
  rxCount = 0;
  errorCount = 0;

  constructor(
    readonly portNo: number,
    public name: string,
    public portId: number,
    public pathCost: number,
    public stateEnteredAt: number,
  ) {}
}

/** Converts ms to whole timer ticks (256 per second), as OVS does. */
export function msToTicks(ms: number): number {
  return Math.floor((ms * 256) / 1000);
}

/** Converts timer ticks to whole ms. */
export function ticksToMs(ticks: number): number {
  return Math.floor((ticks * 1000) / 256);
}

/** The default path cost for a link speed in Mb/s (802.1D-1998 Table 8-5, as OVS's stp_convert_speed_to_cost). */
export function stpCostFromSpeed(mbps: number): number {
  if (mbps >= 10000) return 2;
  if (mbps >= 1000) return 4;
  if (mbps >= 100) return 19;
  if (mbps >= 16) return 62;
  if (mbps >= 10) return 100;
  if (mbps >= 4) return 250;
  return 2;
}

/** True when a port in `state` forwards frames. */
export function stpForwardInState(state: StpState): boolean {
  return state === 'forwarding';
}

/** True when a port in `state` learns source MACs. */
export function stpLearnInState(state: StpState): boolean {
  return state === 'learning' || state === 'forwarding';
}

function clamp(x: number, min: number, max: number): number {
  return Math.min(Math.max(x, min), max);
}

function checkRange(what: string, value: number, min: number, max: number): void {
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new StpError('STP_INVALID_ARGUMENT', `${what} ${value} is not an integer in ${min}..${max}`);
  }
}

/** 802.1D Spanning Tree for one bridge: ports, timers, root election, port states, topology change. */
export class Stp {
  private bridgeIdValue: bigint;
  private readonly sendBpduCb: (portNo: number, bpdu: Bpdu) => void;
  private readonly onPortStateChange: ((portNo: number, state: StpState) => void) | undefined;
  private readonly portTable = new Map<number, StpPort>();
  /** Ports sorted by number, the order OVS walks them in. */
  private portList: StpPort[] = [];

  // Times in ticks: the values in use (learned from the root) and this bridge's own (8.5.3.4-8.5.3.10).
  private maxAgeTicks = 0;
  private helloTimeTicks = 0;
  private forwardDelayTicks = 0;
  private bridgeMaxAgeTicks = 0;
  private bridgeHelloTimeTicks = 0;
  private bridgeForwardDelayTicks = 0;
  private rqHelloTime: number;
  private rqMaxAge: number;
  private rqForwardDelay: number;

  private designatedRootValue: bigint;
  private rootPathCostValue = 0;
  private rootPortRecord: StpPort | null = null;
  private topologyChangeDetected = false;
  private topologyChangeValue = false;
  private readonly helloTimer = new Timer();
  private readonly tcnTimer = new Timer();
  private readonly topologyChangeTimer = new Timer();

  private lastTick: number;
  private elapsedRemainder = 0;
  private fdbNeedsFlush = false;
  private seqValue = 0;

  constructor(options: StpOptions) {
    const id = BigInt.asUintN(64, options.bridgeId);
    this.bridgeIdValue = id >> 48n === 0n ? id | (BigInt(STP_DEFAULT_BRIDGE_PRIORITY) << 48n) : id;
    this.designatedRootValue = this.bridgeIdValue;
    this.sendBpduCb = options.sendBpdu;
    this.onPortStateChange = options.onPortStateChange;
    this.lastTick = options.now;
    this.rqHelloTime = options.helloTime ?? STP_DEFAULT_HELLO_TIME;
    this.rqMaxAge = options.maxAge ?? STP_DEFAULT_MAX_AGE;
    this.rqForwardDelay = options.forwardDelay ?? STP_DEFAULT_FORWARD_DELAY;
    this.updateBridgeTimers();
    this.adoptBridgeTimers();
    // Started already expired, so the first tick sends BPDUs (OVS does the same).
    this.helloTimer.start(this.helloTimeTicks);
  }

  // ---- Queries -------------------------------------------------------------------------------------

  /** This bridge's identifier (priority << 48 | MAC). */
  get bridgeId(): bigint {
    return this.bridgeIdValue;
  }

  /** The bridge believed to be the root. */
  get designatedRoot(): bigint {
    return this.designatedRootValue;
  }

  /** Cost of the path from this bridge to the root. */
  get rootPathCost(): number {
    return this.rootPathCostValue;
  }

  /** Number of the port towards the root, or null on the root bridge. */
  get rootPort(): number | null {
    return this.rootPortRecord?.portNo ?? null;
  }

  /** True while the Topology Change flag is set; the switch then ages MACs in forward-delay time. */
  get topologyChange(): boolean {
    return this.topologyChangeValue;
  }

  /** Increases whenever a port state, the root, or the topology-change condition changes. */
  get seq(): number {
    return this.seqValue;
  }

  /** The last time seen by the engine, in ms. */
  get now(): number {
    return this.lastTick;
  }

  /** True if this bridge believes itself the root. */
  isRootBridge(): boolean {
    return this.designatedRootValue === this.bridgeIdValue;
  }

  /** Times in use (learned from the root), in ms quantized to 1/256 s. */
  get helloTime(): number {
    return ticksToMs(this.helloTimeTicks);
  }
  get maxAge(): number {
    return ticksToMs(this.maxAgeTicks);
  }
  get forwardDelay(): number {
    return ticksToMs(this.forwardDelayTicks);
  }

  /** This bridge's own times (used when it is root), clamped and quantized, in ms. */
  get bridgeHelloTime(): number {
    return ticksToMs(this.bridgeHelloTimeTicks);
  }
  get bridgeMaxAge(): number {
    return ticksToMs(this.bridgeMaxAgeTicks);
  }
  get bridgeForwardDelay(): number {
    return ticksToMs(this.bridgeForwardDelayTicks);
  }

  /** True if something happened that requires flushing the MAC table; resets the condition. */
  checkAndResetFdbFlush(): boolean {
    const flush = this.fdbNeedsFlush;
    this.fdbNeedsFlush = false;
    return flush;
  }

  /** True if port `portNo` exists. */
  hasPort(portNo: number): boolean {
    return this.portTable.has(portNo);
  }

  /** Numbers of all ports, ascending. */
  portNumbers(): number[] {
    return this.portList.map((p) => p.portNo);
  }

  /** The state of port `portNo`. */
  portState(portNo: number): StpState {
    return this.port(portNo).state;
  }

  /** The role of port `portNo`. */
  portRole(portNo: number): StpRole {
    return this.roleOf(this.port(portNo));
  }

  /** The port identifier (priority << 8 | port number) of port `portNo`. */
  portId(portNo: number): number {
    return this.port(portNo).portId;
  }

  /** A snapshot of port `portNo`; seconds in state are counted up to `now` (default the last time seen). */
  portInfo(portNo: number, now = this.lastTick): StpPortInfo {
    const p = this.port(portNo);
    return {
      portNo: p.portNo,
      name: p.name,
      portId: p.portId,
      state: p.state,
      role: this.roleOf(p),
      pathCost: p.pathCost,
      secondsInState: Math.max(0, Math.floor((now - p.stateEnteredAt) / 1000)),
      txCount: p.txCount,
      rxCount: p.rxCount,
      errorCount: p.errorCount,
    };
  }

  // ---- Ports ---------------------------------------------------------------------------------------

  /** Adds port `portNo` (1-255); it starts blocking if enabled, else disabled. */
  addPort(portNo: number, options: StpPortOptions = {}): void {
    checkRange('STP port number', portNo, 1, STP_MAX_PORTS);
    if (this.portTable.has(portNo))
      throw new StpError('STP_PORT_EXISTS', `STP port ${portNo} already exists`);
    const priority = options.priority ?? STP_DEFAULT_PORT_PRIORITY;
    checkRange('port priority', priority, 0, 255);
    const cost = options.pathCost ?? stpCostFromSpeed(options.speedMbps ?? 10000);
    checkRange('path cost', cost, 0, 65535);
    const p = new StpPort(
      portNo,
      options.name ?? String(portNo),
      (priority << 8) | portNo,
      cost,
      this.lastTick,
    );
    this.becomeDesignatedPort(p);
    this.portTable.set(portNo, p);
    this.portList = [...this.portTable.values()].sort((a, b) => a.portNo - b.portNo);
    if (options.enabled ?? true) this.enablePort(p);
  }

  /** Removes port `portNo`, recomputing the tree as if its link went down. */
  removePort(portNo: number): void {
    this.disablePort(this.port(portNo));
    this.portTable.delete(portNo);
    this.portList = this.portList.filter((p) => p.portNo !== portNo);
  }

  /** Reports the link of port `portNo` up (enable, starts blocking) or down (disabled). */
  setPortEnabled(portNo: number, up: boolean): void {
    const p = this.port(portNo);
    if (up) this.enablePort(p);
    else this.disablePort(p);
  }

  /** Renames port `portNo` (for stp/show). */
  setPortName(portNo: number, name: string): void {
    this.port(portNo).name = name;
  }

  private port(portNo: number): StpPort {
    const p = this.portTable.get(portNo);
    if (!p) throw new StpError('STP_NO_SUCH_PORT', `no STP port ${portNo}`);
    return p;
  }

  private enabledPorts(): StpPort[] {
    return this.portList.filter((p) => p.state !== 'disabled');
  }

  private roleOf(p: StpPort): StpRole {
    if (this.rootPortRecord === p) return 'root';
    if (this.isDesignatedPort(p)) return 'designated';
    return p.state === 'disabled' ? 'disabled' : 'alternate';
  }

  // ---- Configuration knobs -------------------------------------------------------------------------

  /** Replaces the whole bridge identifier (stp-system-id and stp-priority together). */
  setBridgeId(bridgeId: bigint): void {
    const id = BigInt.asUintN(64, bridgeId);
    if (id === this.bridgeIdValue) return;
    const wasRoot = this.isRootBridge();
    for (const p of this.enabledPorts()) if (this.isDesignatedPort(p)) p.designatedBridge = id;
    this.bridgeIdValue = id;
    this.configurationUpdate();
    this.portStateSelection();
    if (this.isRootBridge() && !wasRoot) this.becomeRootBridge();
  }

  /** Sets the MAC part of the bridge id (other_config:stp-system-id). */
  setSystemId(mac: bigint): void {
    this.setBridgeId((this.bridgeIdValue & ~MAC_BITS) | (BigInt.asUintN(48, mac) & MAC_BITS));
  }

  /** Sets the priority part of the bridge id (other_config:stp-priority), 0-65535. */
  setBridgePriority(priority: number): void {
    checkRange('bridge priority', priority, 0, 65535);
    this.setBridgeId((this.bridgeIdValue & MAC_BITS) | (BigInt(priority) << 48n));
  }

  /** Requests a hello time in ms (stp-hello-time), clamped to 1-10 s. */
  setHelloTime(ms: number): void {
    this.rqHelloTime = ms;
    this.updateBridgeTimers();
  }

  /** Requests a max age in ms (stp-max-age), clamped to 6-40 s and at least 2 × (hello + 1 s). */
  setMaxAge(ms: number): void {
    this.rqMaxAge = ms;
    this.updateBridgeTimers();
  }

  /** Requests a forward delay in ms (stp-forward-delay), clamped to max-age/2 + 1 s .. 30 s. */
  setForwardDelay(ms: number): void {
    this.rqForwardDelay = ms;
    this.updateBridgeTimers();
  }

  /** Sets the priority of port `portNo` (stp-port-priority), 0-255. */
  setPortPriority(portNo: number, priority: number): void {
    checkRange('port priority', priority, 0, 255);
    const p = this.port(portNo);
    const newId = (p.portId & 0xff) | (priority << 8);
    if (newId === p.portId) return;
    if (this.isDesignatedPort(p)) p.designatedPort = newId;
    p.portId = newId;
    if (p.designatedBridge === this.bridgeIdValue && p.portId < p.designatedPort) {
      this.becomeDesignatedPort(p);
      this.portStateSelection();
    }
  }

  /** Sets the path cost of port `portNo` (stp-path-cost), 0-65535. */
  setPathCost(portNo: number, cost: number): void {
    checkRange('path cost', cost, 0, 65535);
    const p = this.port(portNo);
    if (p.pathCost === cost) return;
    p.pathCost = cost;
    this.configurationUpdate();
    this.portStateSelection();
  }

  /** Turns topology-change detection on port `portNo` on or off (on by default). */
  setChangeDetection(portNo: number, enabled: boolean): void {
    this.port(portNo).changeDetection = enabled;
  }

  /** Signals a topology change by hand, as `ovs-appctl stp/tcn` does. */
  forceTopologyChange(): void {
    this.topologyChangeDetection();
  }

  private updateBridgeTimers(): void {
    const ht = clamp(this.rqHelloTime, 1000, 10000);
    const ma = clamp(this.rqMaxAge, Math.max(2 * (ht + 1000), 6000), 40000);
    const fd = clamp(this.rqForwardDelay, Math.floor(ma / 2) + 1000, 30000);
    this.bridgeHelloTimeTicks = msToTicks(ht);
    this.bridgeMaxAgeTicks = msToTicks(ma);
    this.bridgeForwardDelayTicks = msToTicks(fd);
    if (this.isRootBridge()) this.adoptBridgeTimers();
  }

  private adoptBridgeTimers(): void {
    this.maxAgeTicks = this.bridgeMaxAgeTicks;
    this.helloTimeTicks = this.bridgeHelloTimeTicks;
    this.forwardDelayTicks = this.bridgeForwardDelayTicks;
  }

  // ---- Input: time and BPDUs -----------------------------------------------------------------------

  /** Advances the timers to `now` (ms); expiring timers may send BPDUs and change port states. */
  tick(now: number): void {
    const ms = clamp(now - this.lastTick, 0, 0x7fffffff) + this.elapsedRemainder;
    this.lastTick = Math.max(now, this.lastTick);
    const elapsed = msToTicks(ms);
    this.elapsedRemainder = ms - ticksToMs(elapsed);
    if (elapsed > 0) this.runTimers(elapsed);
  }

  /** Processes a BPDU received on port `portNo` at `now` (the timers are first advanced to `now`). */
  receiveBpdu(portNo: number, bpdu: Bpdu, now: number): void {
    this.tick(now);
    const p = this.port(portNo);
    if (p.state === 'disabled') return;
    p.rxCount++;
    if (bpdu.type === 'tcn') this.receivedTcnBpdu(p);
    else this.receivedConfigBpdu(p, bpdu);
  }

  /** Parses and processes a whole received STP frame; a malformed one is counted in errorCount and dropped. */
  receiveFrame(portNo: number, frame: Uint8Array, offset: number, length: number, now: number): void {
    const bpdu = parseStpFrame(frame, offset, length);
    if (isStpParseError(bpdu)) this.countError(portNo);
    else this.receiveBpdu(portNo, bpdu, now);
  }

  /** Counts a malformed BPDU received on port `portNo` (stp_error_count); it is otherwise ignored. */
  countError(portNo: number): void {
    const p = this.port(portNo);
    if (p.state !== 'disabled') p.errorCount++;
  }

  private runTimers(elapsed: number): void {
    if (this.helloTimer.expired(elapsed, this.helloTimeTicks)) this.helloTimerExpiry();
    if (this.tcnTimer.expired(elapsed, this.bridgeHelloTimeTicks)) this.tcnTimerExpiry();
    if (this.topologyChangeTimer.expired(elapsed, this.maxAgeTicks + this.forwardDelayTicks)) {
      this.topologyChangeTimerExpiry();
    }
    for (const p of this.enabledPorts()) {
      if (p.messageAgeTimer.expired(elapsed, this.maxAgeTicks)) this.messageAgeTimerExpiry(p);
    }
    for (const p of this.enabledPorts()) {
      if (p.forwardDelayTimer.expired(elapsed, this.forwardDelayTicks)) this.forwardDelayTimerExpiry(p);
      if (p.holdTimer.expired(elapsed, HOLD_TIME) && p.configPending) this.transmitConfig(p);
    }
  }

  // ---- 802.1D 8.6: elements of procedure -----------------------------------------------------------

  private transmitConfig(p: StpPort): void {
    const root = this.isRootBridge();
    if (!root && !this.rootPortRecord) return;
    if (p.holdTimer.active) {
      p.configPending = true;
      return;
    }
    const messageAge = root ? 0 : (this.rootPortRecord?.messageAgeTimer.value ?? 0) + MESSAGE_AGE_INCREMENT;
    if (messageAge >= this.maxAgeTicks) return;
    const bpdu: ConfigBpdu = {
      type: 'config',
      topologyChange: this.topologyChangeValue,
      topologyChangeAck: p.topologyChangeAck,
      rootId: this.designatedRootValue,
      rootPathCost: this.rootPathCostValue,
      bridgeId: this.bridgeIdValue,
      portId: p.portId,
      messageAge,
      maxAge: this.maxAgeTicks,
      helloTime: this.helloTimeTicks,
      forwardDelay: this.forwardDelayTicks,
    };
    p.topologyChangeAck = false;
    p.configPending = false;
    this.send(p, bpdu);
    p.holdTimer.start(0);
  }

  private transmitTcn(): void {
    if (this.rootPortRecord) this.send(this.rootPortRecord, { type: 'tcn' });
  }

  private send(p: StpPort, bpdu: Bpdu): void {
    p.txCount++;
    this.sendBpduCb(p.portNo, bpdu);
  }

  /** 8.6.2.2: does the received information beat what the port holds? */
  private supersedesPortInfo(p: StpPort, c: ConfigBpdu): boolean {
    if (c.rootId !== p.designatedRoot) return c.rootId < p.designatedRoot;
    if (c.rootPathCost !== p.designatedCost) return c.rootPathCost < p.designatedCost;
    if (c.bridgeId !== p.designatedBridge) return c.bridgeId < p.designatedBridge;
    return c.bridgeId !== this.bridgeIdValue || c.portId <= p.designatedPort;
  }

  private recordConfigInformation(p: StpPort, c: ConfigBpdu): void {
    p.designatedRoot = c.rootId;
    p.designatedCost = c.rootPathCost;
    p.designatedBridge = c.bridgeId;
    p.designatedPort = c.portId;
    p.messageAgeTimer.start(c.messageAge);
  }

  private recordConfigTimeoutValues(c: ConfigBpdu): void {
    this.maxAgeTicks = c.maxAge;
    this.helloTimeTicks = c.helloTime;
    this.forwardDelayTicks = c.forwardDelay;
    this.setTopologyChangeFlag(c.topologyChange);
  }

  private isDesignatedPort(p: StpPort): boolean {
    return p.designatedBridge === this.bridgeIdValue && p.designatedPort === p.portId;
  }

  private configBpduGeneration(): void {
    for (const p of this.enabledPorts()) if (this.isDesignatedPort(p)) this.transmitConfig(p);
  }

  private configurationUpdate(): void {
    const oldRoot = this.designatedRootValue;
    const oldPort = this.rootPortRecord;
    this.rootSelection();
    this.designatedPortSelection();
    if (oldRoot !== this.designatedRootValue || oldPort !== this.rootPortRecord) this.seqValue++;
  }

  /** 8.6.8.3: is `p` a better way to the root than `best`? */
  private supersedesRoot(best: StpPort, p: StpPort): boolean {
    const pCost = p.designatedCost + p.pathCost;
    const bestCost = best.designatedCost + best.pathCost;
    if (p.designatedRoot !== best.designatedRoot) return p.designatedRoot < best.designatedRoot;
    if (pCost !== bestCost) return pCost < bestCost;
    if (p.designatedBridge !== best.designatedBridge) return p.designatedBridge < best.designatedBridge;
    if (p.designatedPort !== best.designatedPort) return p.designatedPort < best.designatedPort;
    return p.portId < best.portId;
  }

  private rootSelection(): void {
    let best: StpPort | null = null;
    for (const p of this.enabledPorts()) {
      if (this.isDesignatedPort(p) || p.designatedRoot >= this.bridgeIdValue) continue;
      if (best && !this.supersedesRoot(best, p)) continue;
      best = p;
    }
    this.rootPortRecord = best;
    this.designatedRootValue = best ? best.designatedRoot : this.bridgeIdValue;
    this.rootPathCostValue = best ? best.designatedCost + best.pathCost : 0;
  }

  private designatedPortSelection(): void {
    for (const p of this.enabledPorts()) {
      if (this.shouldBeDesignated(p)) this.becomeDesignatedPort(p);
    }
  }

  private shouldBeDesignated(p: StpPort): boolean {
    if (this.isDesignatedPort(p) || p.designatedRoot !== this.designatedRootValue) return true;
    if (this.rootPathCostValue !== p.designatedCost) return this.rootPathCostValue < p.designatedCost;
    if (this.bridgeIdValue !== p.designatedBridge) return this.bridgeIdValue < p.designatedBridge;
    return p.portId <= p.designatedPort;
  }

  private becomeDesignatedPort(p: StpPort): void {
    p.designatedRoot = this.designatedRootValue;
    p.designatedCost = this.rootPathCostValue;
    p.designatedBridge = this.bridgeIdValue;
    p.designatedPort = p.portId;
  }

  private portStateSelection(): void {
    for (const p of this.enabledPorts()) {
      if (p === this.rootPortRecord) {
        p.configPending = false;
        p.topologyChangeAck = false;
        this.makeForwarding(p);
      } else if (this.isDesignatedPort(p)) {
        p.messageAgeTimer.stop();
        this.makeForwarding(p);
      } else {
        p.configPending = false;
        p.topologyChangeAck = false;
        this.makeBlocking(p);
      }
    }
  }

  private makeForwarding(p: StpPort): void {
    if (p.state !== 'blocking') return;
    this.setPortState(p, 'listening');
    p.forwardDelayTimer.start(0);
  }

  private makeBlocking(p: StpPort): void {
    if (p.state === 'disabled' || p.state === 'blocking') return;
    if ((p.state === 'forwarding' || p.state === 'learning') && p.changeDetection) {
      this.topologyChangeDetection();
    }
    this.setPortState(p, 'blocking');
    p.forwardDelayTimer.stop();
  }

  private setPortState(p: StpPort, state: StpState): void {
    if (p.state === state) return;
    p.state = state;
    p.stateEnteredAt = this.lastTick;
    this.seqValue++;
    this.onPortStateChange?.(p.portNo, state);
  }

  private setTopologyChangeFlag(on: boolean): void {
    if (this.topologyChangeValue === on) return;
    this.topologyChangeValue = on;
    this.seqValue++;
  }

  private topologyChangeDetection(): void {
    if (this.isRootBridge()) {
      this.setTopologyChangeFlag(true);
      this.topologyChangeTimer.start(0);
    } else if (!this.topologyChangeDetected) {
      this.transmitTcn();
      this.tcnTimer.start(0);
    }
    this.fdbNeedsFlush = true;
    this.topologyChangeDetected = true;
    this.seqValue++;
  }

  private topologyChangeAcknowledged(): void {
    this.topologyChangeDetected = false;
    this.tcnTimer.stop();
  }

  private acknowledgeTopologyChange(p: StpPort): void {
    p.topologyChangeAck = true;
    this.transmitConfig(p);
  }

  // ---- 802.1D 8.7: operation of the protocol -------------------------------------------------------

  private receivedConfigBpdu(p: StpPort, c: ConfigBpdu): void {
    if (c.messageAge >= c.maxAge) return;
    const wasRoot = this.isRootBridge();
    if (!this.supersedesPortInfo(p, c)) {
      if (this.isDesignatedPort(p)) this.transmitConfig(p);
      return;
    }
    this.recordConfigInformation(p, c);
    this.configurationUpdate();
    this.portStateSelection();
    if (wasRoot && !this.isRootBridge()) this.stopBeingRoot();
    if (p !== this.rootPortRecord) return;
    this.recordConfigTimeoutValues(c);
    this.configBpduGeneration();
    if (c.topologyChangeAck) this.topologyChangeAcknowledged();
    if (c.topologyChange) this.fdbNeedsFlush = true;
  }

  private stopBeingRoot(): void {
    this.helloTimer.stop();
    if (!this.topologyChangeDetected) return;
    this.topologyChangeTimer.stop();
    this.transmitTcn();
    this.tcnTimer.start(0);
  }

  private receivedTcnBpdu(p: StpPort): void {
    if (!this.isDesignatedPort(p)) return;
    this.topologyChangeDetection();
    this.acknowledgeTopologyChange(p);
  }

  private helloTimerExpiry(): void {
    this.configBpduGeneration();
    this.helloTimer.start(0);
  }

  private messageAgeTimerExpiry(p: StpPort): void {
    const wasRoot = this.isRootBridge();
    this.becomeDesignatedPort(p);
    this.configurationUpdate();
    this.portStateSelection();
    if (this.isRootBridge() && !wasRoot) this.becomeRootBridge();
  }

  private isDesignatedForSomePort(): boolean {
    return this.enabledPorts().some((p) => p.designatedBridge === this.bridgeIdValue);
  }

  private forwardDelayTimerExpiry(p: StpPort): void {
    if (p.state === 'listening') {
      this.setPortState(p, 'learning');
      p.forwardDelayTimer.start(0);
    } else if (p.state === 'learning') {
      this.setPortState(p, 'forwarding');
      if (this.isDesignatedForSomePort() && p.changeDetection) this.topologyChangeDetection();
    }
  }

  private tcnTimerExpiry(): void {
    this.transmitTcn();
    this.tcnTimer.start(0);
  }

  private topologyChangeTimerExpiry(): void {
    this.topologyChangeDetected = false;
    this.setTopologyChangeFlag(false);
  }

  private becomeRootBridge(): void {
    this.adoptBridgeTimers();
    this.topologyChangeDetection();
    this.tcnTimer.stop();
    this.configBpduGeneration();
    this.helloTimer.start(0);
  }

  // ---- 8.8: management -----------------------------------------------------------------------------

  private enablePort(p: StpPort): void {
    if (p.state !== 'disabled') return;
    this.initializePort(p);
    this.portStateSelection();
  }

  private initializePort(p: StpPort): void {
    this.becomeDesignatedPort(p);
    this.setPortState(p, 'blocking');
    p.topologyChangeAck = false;
    p.configPending = false;
    p.messageAgeTimer.stop();
    p.forwardDelayTimer.stop();
    p.holdTimer.stop();
    p.txCount = 0;
    p.rxCount = 0;
    p.errorCount = 0;
  }

  private disablePort(p: StpPort): void {
    if (p.state === 'disabled') return;
    const wasRoot = this.isRootBridge();
    this.becomeDesignatedPort(p);
    this.setPortState(p, 'disabled');
    p.topologyChangeAck = false;
    p.configPending = false;
    p.messageAgeTimer.stop();
    p.forwardDelayTimer.stop();
    this.configurationUpdate();
    this.portStateSelection();
    if (this.isRootBridge() && !wasRoot) this.becomeRootBridge();
  }
}
