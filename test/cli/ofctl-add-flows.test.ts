// `tsovs ofctl add-flows` (src/cli/ofctl.ts cmdAddFlows) against the connection manager behind an
// in-memory switch: every line is checked before anything is sent, the flow mods are encoded in that one
// pass for the version the switch most likely speaks, and a switch that settles on another version gets
// the flows converted for it.
import assert from 'node:assert/strict';
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { run } from '../../src/cli/ofctl.js';
import { ConnectionManager } from '../../src/ofproto/connmgr.js';
import { fieldByName, getField } from '../../src/openflow/fields.js';
import { versionBitmap } from '../../src/openflow/wire.js';
import { tempDir } from '../helpers/daemons.js';
import { FakeSwitch } from '../ofproto/connmgr-fake.js';

const N = 600;

function flowLines(n: number): string[] {
  return Array.from(
    { length: n },
    (_, i) => `priority=${100 + (i % 7)},ip,nw_dst=10.0.${i >> 8}.${i & 0xff},actions=output:${1 + (i % 2)}`,
  );
}

async function ofctl(args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const status = await run(args, { stdout: (t) => (stdout += t), stderr: (t) => (stderr += t), env: {} });
  return { status, stdout, stderr };
}

describe('tsovs ofctl add-flows', () => {
  let dir: string;
  let sw: FakeSwitch;
  let mgr: ConnectionManager;
  before(async () => {
    dir = tempDir('ofctl-add-flows-');
    sw = new FakeSwitch();
    mgr = new ConnectionManager(sw, { timeUnitMs: 50 });
    // br0 speaks every version tsovs ofctl offers; br1 only OpenFlow 1.3.
    await mgr.setBridge('br0', {
      mgmtPath: join(dir, 'br0.mgmt'),
      controllers: [],
      versions: versionBitmap([1, 4, 5, 6]),
    });
    await mgr.setBridge('br1', {
      mgmtPath: join(dir, 'br1.mgmt'),
      controllers: [],
      versions: versionBitmap([4]),
    });
  });
  after(async () => {
    await mgr.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const nwDst = (i: number) => ((10 << 24) | ((i >> 8) << 8) | (i & 0xff)) >>> 0;

  function assertLoaded(): void {
    assert.equal(sw.rules.length, N);
    const field = fieldByName('nw_dst');
    assert.ok(field);
    const byDst = new Map(sw.rules.map((r) => [Number(getField(field, r.match.value)), r]));
    for (const i of [0, 1, 255, 256, N - 1]) {
      const r = byDst.get(nwDst(i));
      assert.ok(r, `flow ${i} arrived`);
      assert.equal(r.priority, 100 + (i % 7));
      assert.deepEqual(
        r.actions.map((a) => (a.type === 'output' ? a.port : -1)),
        [1 + (i % 2)],
      );
    }
  }

  for (const [bridge, what] of [
    ['br0', 'encoded once, for the version the switch speaks (OpenFlow 1.5)'],
    ['br1', 'converted again when the switch settles on OpenFlow 1.3'],
  ] as const) {
    it(`${N} flows: ${what}`, async () => {
      sw.rules = [];
      const file = join(dir, `${bridge}.flows`);
      writeFileSync(file, `# a comment line\n${flowLines(N).join('\n')}\n\n`);
      const r = await ofctl(['add-flows', `unix:${join(dir, `${bridge}.mgmt`)}`, file]);
      assert.equal(r.status, 0, r.stderr);
      assert.equal(r.stderr, '');
      assertLoaded();
    });
  }

  it('a bad last line: the error names it and nothing is sent', async () => {
    sw.rules = [];
    const file = join(dir, 'bad.flows');
    writeFileSync(file, `${flowLines(N).join('\n')}\nip,nw_dst=10.0.0.1,actions=frobnicate\n`);
    const r = await ofctl(['add-flows', `unix:${join(dir, 'br0.mgmt')}`, file]);
    assert.equal(r.status, 1);
    assert.match(r.stderr, new RegExp(`bad\\.flows:${N + 1}: `));
    assert.equal(sw.rules.length, 0);
  });
});
