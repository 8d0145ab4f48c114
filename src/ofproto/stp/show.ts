// The text of `ovs-appctl stp/show [BRIDGE]` in Open vSwitch 3.1's layout (lib/stp.c), from Stp engines;
// the unixctl layer registers the command and passes in the bridges that run STP.

import { formatStpMac } from './status.js';
import type { Stp } from './stp.js';
import { StpError } from './stp.js';

/** printf's "%-W.Ps": at most `precision` characters, left-justified in `width`. */
function column(text: string, width: number, precision: number): string {
  return text.slice(0, precision).padEnd(width);
}

function idDetails(id: bigint, helloMs: number, maxAgeMs: number, forwardDelayMs: number): string {
  return (
    `  stp-priority  ${Number(id >> 48n)}\n` +
    `  stp-system-id   ${formatStpMac(id)}\n` +
    `  stp-hello-time  ${Math.trunc(helloMs / 1000)}s\n` +
    `  stp-max-age     ${Math.trunc(maxAgeMs / 1000)}s\n` +
    `  stp-fwd-delay   ${Math.trunc(forwardDelayMs / 1000)}s\n`
  );
}

function rootLines(stp: Stp): string {
  const rootPort = stp.rootPort;
  if (stp.isRootBridge() || rootPort === null) return '  This bridge is the root\n';
  return `  root-port       ${stp.portInfo(rootPort).name}\n  root-path-cost  ${stp.rootPathCost}\n`;
}

function portTable(stp: Stp): string {
  let text = `  ${column('Interface', 11, 10)}${column('Role', 11, 10)}${column('State', 11, 10)}`;
  text += `${column('Cost', 6, 5)}${column('Pri.Nbr', 8, 7)}\n`;
  text += '  ---------- ---------- ---------- ----- -------\n';
  for (const portNo of stp.portNumbers()) {
    const p = stp.portInfo(portNo);
    if (p.state === 'disabled') continue;
    text += `  ${column(p.name, 11, 10)}${column(p.role, 11, 10)}${column(p.state, 11, 10)}`;
    text += `${String(p.pathCost).padEnd(6)}${p.portId >> 8}.${p.portId & 0xff}\n`;
  }
  return text;
}

/** One bridge's stp/show block. Like OVS, "Root ID" shows this bridge's own times, "Bridge ID" those in use. */
export function formatStpDetails(name: string, stp: Stp): string {
  return (
    `---- ${name} ----\nRoot ID:\n` +
    idDetails(stp.designatedRoot, stp.bridgeHelloTime, stp.bridgeMaxAge, stp.bridgeForwardDelay) +
    rootLines(stp) +
    '\nBridge ID:\n' +
    idDetails(stp.bridgeId, stp.helloTime, stp.maxAge, stp.forwardDelay) +
    '\n' +
    portTable(stp) +
    '\n'
  );
}

/** `stp/show [BRIDGE]` over the STP bridges in creation order; an unknown name throws "no such stp object". */
export function stpShow(bridges: Iterable<readonly [string, Stp]>, bridgeName?: string): string {
  const all = [...bridges];
  if (bridgeName === undefined) return all.map(([name, stp]) => formatStpDetails(name, stp)).join('');
  const found = all.find(([name]) => name === bridgeName);
  if (!found) throw new StpError('STP_NO_SUCH_BRIDGE', 'no such stp object');
  return formatStpDetails(found[0], found[1]);
}
