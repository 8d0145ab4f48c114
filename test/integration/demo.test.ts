// `tsovs demo` on real namespaces (needs root): for each tunnel the seed's whole experiment — two hosts,
// A1/B1 and A2/B2, three bridges in a loop with STP, the tunnel on br1 — comes up, the seed's pings get
// their replies, the capture on node3's eth1 shows what the seed showed (GREv0 … STP 802.1d; UDP to
// 4789), a summary table is printed, and afterwards no namespace, link, process or file is left. A lab
// file with a mistake is refused before anything is created, naming the line.
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { loadLab } from '../../src/lab/validate.js';
import { runCommand, tempDir, tsovsArgv } from '../helpers/daemons.js';
import { hasBinary } from '../helpers/ovs.js';
import { labLeftovers, requireLab, rootLinks, SEED_DEVICES, SEED_NAMESPACES } from './lab-support.js';

const TUNNELS = [
  {
    kind: 'gre',
    wire: [
      /IP 10\.10\.10\.\d > 10\.10\.10\.\d: GREv0, length \d+: STP 802\.1d, Config, Flags \[[^\]]*\], bridge-id /,
    ],
  },
  {
    kind: 'vxlan',
    wire: [
      /IP 10\.10\.10\.\d\.\d+ > 10\.10\.10\.\d\.4789: UDP, length \d+/,
      /VXLAN[^\n]*\n\s*STP 802\.1d, Config/,
    ],
  },
  {
    kind: 'geneve',
    wire: [
      /IP 10\.10\.10\.\d\.\d+ > 10\.10\.10\.\d\.6081: UDP, length \d+/,
      /Geneve[^\n]*: STP 802\.1d, Config/,
    ],
  },
] as const;

/** Runs `tsovs ARGS` with the lab base directory `base`; killed after `timeoutMs`. */
function tsovs(args: string[], base: string, timeoutMs = 150000) {
  const [cmd, ...pre] = tsovsArgv();
  return runCommand(cmd, [...pre, ...args], { TSOVS_LABDIR: base }, timeoutMs);
}

/** A fresh lab base directory, removed after the test. */
function labBase(t: TestContext): string {
  const base = tempDir('tsovs-lab-test-');
  t.after(() => rmSync(base, { recursive: true, force: true }));
  return base;
}

describe('tsovs demo', { concurrency: false }, () => {
  for (const tunnel of TUNNELS) {
    it(`demo ${tunnel.kind}: the seed's pings and capture lines, a summary, nothing left behind`, async (t) => {
      if (!requireLab(t)) return;
      const base = labBase(t);
      const links = rootLinks();
      const before = labLeftovers(base, SEED_NAMESPACES, SEED_DEVICES, links);
      assert.deepEqual(before, [], `the seed's names are free before the demo: ${before.join(', ')}`);
      let r: Awaited<ReturnType<typeof tsovs>> | undefined;
      try {
        const t0 = Date.now();
        r = await tsovs(['demo', tunnel.kind], base);
        t.diagnostic(`demo ${tunnel.kind}: ${((Date.now() - t0) / 1000).toFixed(1)} s`);
        const out = r.stdout;
        assert.equal(r.status, 0, `${out}\n${r.stderr}`);
        // Progress, step by step (plain lines: this is not a terminal).
        assert.match(out, /creating namespaces node3, node4, A1, B1, A2, B2/);
        assert.match(out, /starting ovsdb-server and vswitchd on node3, node4/);
        assert.match(out, /spanning tree converged: B1 reaches 192\.168\.10\.10 after [\d.]+ s/);
        // The seed's pings and their replies.
        for (const [from, to] of [
          ['B1', '192.168.10.1'],
          ['A1', '192.168.10.2'],
          ['B1', '192.168.10.10'],
          ['A2', '192.168.10.1'],
        ]) {
          assert.match(
            out,
            new RegExp(
              `\\[${from}\\]# ping ${to.replace(/\./g, '\\.')}\\n\\s+64 bytes from ${to.replace(/\./g, '\\.')}: icmp_seq=\\d+ ttl=64`,
            ),
          );
        }
        // What the seed saw on eth1.
        if (hasBinary('tcpdump')) for (const re of tunnel.wire) assert.match(out, re, out);
        // The summary table, every check passed.
        assert.match(out, /Summary:\n\s+#\s+CHECK\s+RESULT\s+DETAIL\n/);
        assert.doesNotMatch(out, /FAIL/);
        assert.match(out, /All \d+ checks passed/);
        assert.match(out, /removed 6 namespaces, 4 daemons/);
      } finally {
        if (r?.status !== 0) await tsovs(['lab', 'down', `seed-${tunnel.kind}`], base);
      }
      assert.deepEqual(
        labLeftovers(base, SEED_NAMESPACES, SEED_DEVICES, links),
        [],
        'nothing is left behind',
      );
    });
  }

  it('refuses a lab file with a mistake before creating anything, naming the line', async (t) => {
    if (!requireLab(t)) return;
    const base = labBase(t);
    const links = rootLinks();
    const file = join(base, 'bad.yaml');
    const seed = loadLab(join(import.meta.dirname, '..', '..', 'labs', 'seed-gre.yaml')).file;
    const text = readFileSync(seed, 'utf8').replace('b23.2, b12.1]', 'b23.2, b12.1, nosuch]');
    const line = text.split('\n').findIndex((l) => l.includes('nosuch')) + 1;
    writeFileSync(file, text);
    const r = await tsovs(['lab', 'up', file], base);
    assert.equal(r.status, 1, r.stderr);
    assert.match(r.stderr, /1 error; nothing was created/);
    assert.match(
      r.stderr,
      new RegExp(
        `bad\\.yaml:${line}:\\d+: hosts\\.node3\\.bridges\\.br2\\.ports\\[3\\]: host node3 has no interface nosuch`,
      ),
    );
    assert.deepEqual(readdirSync(base), ['bad.yaml'], 'no run directory was made');
    assert.deepEqual(labLeftovers(base, SEED_NAMESPACES, SEED_DEVICES, links), []);
    const d = await tsovs(['demo', 'ipip'], base);
    assert.equal(d.status, 2);
    assert.match(d.stderr, /unknown tunnel 'ipip' \(choose gre, vxlan, geneve\)/);
    assert.equal(existsSync(join(base, 'seed-gre')), false);
  });
});
