// The text of `ovs-appctl rstp/show [BRIDGE]` in Open vSwitch 3.1's layout (lib/rstp.c): root and bridge
// identity blocks, then one line per enabled port. Reads only the Rstp query API.
import { type Rstp, RstpError } from './rstp.js';

function macText(id: bigint): string {
  const hex = (id & 0xffff_ffff_ffffn).toString(16).padStart(12, '0');
  return hex.replace(/(..)(?!$)/g, '$1:');
}

/** The five-line identity block OVS prints for the root and for this bridge. */
function idBlock(id: bigint, hello: number, maxAge: number, fwdDelay: number): string {
  return (
    `  stp-priority    ${Number(id >> 48n) & 0xffff}\n` +
    `  stp-system-id   ${macText(id)}\n` +
    `  stp-hello-time  ${hello}s\n` +
    `  stp-max-age     ${maxAge}s\n` +
    `  stp-fwd-delay   ${fwdDelay}s\n`
  );
}

/** printf's "%-W.Ps": cut to `precision` characters, pad to `width`. */
function cell(text: string, width: number, precision = width): string {
  return text.slice(0, precision).padEnd(width);
}

function rootBlock(rstp: Rstp): string | undefined {
  if (rstp.isRootBridge()) {
    const t = rstp.bridgeTimes();
    return idBlock(rstp.bridgeId(), t.helloTime, t.maxAge, t.forwardDelay) + '  This bridge is the root\n';
  }
  const rootPort = rstp.rootPort();
  if (rootPort === undefined) return undefined;
  const t = rstp.rootTimes();
  const hello = rstp.bridgeTimes().helloTime;
  return (
    idBlock(rstp.designatedRoot(), hello, t.maxAge, t.forwardDelay) +
    `  root-port       ${rstp.portInfo(rootPort).name}\n` +
    `  root-path-cost  ${rstp.rootPathCost()}\n`
  );
}

function capitalize(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function portLines(rstp: Rstp): string {
  let out = `  ${cell('Interface', 11, 10)}${cell('Role', 11, 10)}${cell('State', 11, 10)}`;
  out += `${cell('Cost', 9, 8)}${cell('Pri.Nbr', 8, 7)}\n`;
  out += '  ---------- ---------- ---------- -------- -------\n';
  for (const portNo of rstp.portNumbers()) {
    const state = rstp.portState(portNo);
    if (state === 'disabled') continue;
    const info = rstp.portInfo(portNo);
    out += `  ${cell(info.name, 11, 10)}${cell(capitalize(rstp.portRole(portNo)), 11, 10)}`;
    out += `${cell(capitalize(state), 11, 10)}${String(info.pathCost).padEnd(9)}${info.priority}.${portNo}\n`;
  }
  return out;
}

/** One bridge's section of rstp/show, exactly as rstp_print_details lays it out. */
export function formatRstpDetails(rstp: Rstp): string {
  let out = `---- ${rstp.name} ----\nRoot ID:\n`;
  const root = rootBlock(rstp);
  if (root === undefined) return out + 'unknown root port\n';
  const t = rstp.bridgeTimes();
  out += root + '\nBridge ID:\n' + idBlock(rstp.bridgeId(), t.helloTime, t.maxAge, t.forwardDelay) + '\n';
  return out + portLines(rstp) + '\n';
}

/** `rstp/show [BRIDGE]`: every bridge, or the named one; throws RstpError 'no such bridge' as OVS replies. */
export function rstpShow(bridges: readonly Rstp[], name?: string): string {
  if (name === undefined) return bridges.map(formatRstpDetails).join('');
  const rstp = bridges.find((b) => b.name === name);
  if (!rstp) throw new RstpError('no such bridge', 'No such RSTP object');
  return formatRstpDetails(rstp);
}
