// npm postinstall: the system programs a run uses that npm cannot bring. git (the run's workspace) is
// required; bubblewrap (the tool sandbox) and Chromium (the accessibility check, driven by
// playwright-core — never a downloaded browser) come from Debian. As root with apt-get, the missing ones
// are installed; otherwise this prints the command to run. It never fails `npm install`: `ideamine
// doctor` reports what is still missing, and a run whose tool cannot start fails that tool's gate with
// the reason. Set IDEAMINE_SKIP_SYSTEM_TOOLS=1 to skip. Plain JavaScript: npm may run on any Node >= 18.
import { execFileSync, spawnSync } from 'node:child_process';

const WANTED = [
  { name: 'git', package: 'git', commands: ['git'] },
  { name: 'bubblewrap', package: 'bubblewrap', commands: ['bwrap'] },
  { name: 'Chromium', package: 'chromium', commands: ['chromium', 'chromium-headless-shell'] },
];

function has(command) {
  return spawnSync('sh', ['-c', `command -v ${command}`], { stdio: 'ignore' }).status === 0;
}

function main() {
  if (process.env.IDEAMINE_SKIP_SYSTEM_TOOLS === '1') return;
  const missing = WANTED.filter((w) => !w.commands.some(has));
  if (missing.length === 0) return;
  const packages = missing.map((m) => m.package);
  const names = missing.map((m) => m.name).join(', ');
  const root = typeof process.getuid === 'function' && process.getuid() === 0;
  if (!root || !has('apt-get')) {
    console.warn(`ideamine: ${names} not found; install with: sudo apt-get install -y ${packages.join(' ')}`);
    return;
  }
  console.log(`ideamine: installing ${names} from Debian (apt-get install ${packages.join(' ')})`);
  const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
  const install = () =>
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...packages], {
      stdio: 'inherit',
      env,
    });
  try {
    install();
  } catch {
    try {
      execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
      install();
    } catch (error) {
      console.warn(`ideamine: could not install ${names}: ${error.message}`);
    }
  }
}

main();
