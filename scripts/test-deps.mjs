// Pretest step: makes sure the Debian packages the tests use are present.
// As root it installs what is missing (apt-get); otherwise it names exactly what is missing and how to get it.
import { execFileSync, spawnSync } from 'node:child_process';

/** Binary the tests run → the Debian package that provides it. */
const NEEDED = {
  'ovsdb-server': 'openvswitch-switch',
  'ovs-vswitchd': 'openvswitch-switch',
  'ovsdb-tool': 'openvswitch-common',
  'ovsdb-client': 'openvswitch-common',
  'ovs-vsctl': 'openvswitch-common',
  'ovs-appctl': 'openvswitch-common',
  ip: 'iproute2',
};

function has(bin) {
  return spawnSync('sh', ['-c', `command -v ${bin}`], { stdio: 'ignore' }).status === 0;
}

const missing = Object.entries(NEEDED).filter(([bin]) => !has(bin));
if (missing.length === 0) process.exit(0);
const packages = [...new Set(missing.map(([, pkg]) => pkg))];
const bins = missing.map(([bin]) => bin).join(', ');
if (process.getuid?.() !== 0) {
  process.stderr.write(
    `test-deps: missing ${bins}; the interoperability tests will be skipped.\n` +
      `test-deps: install them as root with: apt-get update && apt-get install -y ${packages.join(' ')}\n`,
  );
  process.exit(0);
}
process.stderr.write(`test-deps: installing ${packages.join(' ')} (missing: ${bins})\n`);
const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
try {
  execFileSync('apt-get', ['update', '-q'], { stdio: 'inherit', env });
  execFileSync('apt-get', ['install', '-y', '-q', '--no-install-recommends', ...packages], {
    stdio: 'inherit',
    env,
  });
} catch (err) {
  process.stderr.write(`test-deps: apt-get failed (${err.message}); install ${packages.join(' ')} by hand\n`);
  process.exit(1);
}
