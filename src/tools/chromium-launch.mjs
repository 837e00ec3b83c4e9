// How IdeaMine starts the machine's Chromium through playwright-core, shared by the accessibility
// check's driver (a plain Node process inside the sandbox) and the dossier's PDF printer (in the
// IdeaMine process). A browser is never downloaded: `executablePath` is always Debian's Chromium.
import { chromium } from 'playwright-core';

// What the machine needs (measured with Chromium 156 as root in a container, in and out of bwrap):
// - --no-sandbox: as root (here, and in most containers) Chromium refuses to start without it
//   ("Running as root without --no-sandbox is not supported"), in bwrap and out of it; the isolation is
//   bwrap's. (Playwright adds the flag too.)
// - --disable-dev-shm-usage: shared memory goes to TMPDIR instead of /dev/shm, which is 64 MB in a
//   default Docker container and is where Chromium crashes on big pages.
// - --disable-gpu: there is no GPU. The rest keeps Chromium from opening connections of its own,
//   which the sandbox's closed network would refuse anyway (QUIC retries would only cost time).
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

/**
 * A persistent context (its own profile dir, so two launches never share state) of the Chromium at
 * `executablePath`. A launch failure becomes one error naming the executable; Playwright's message
 * carries the whole command line and browser log, so only its start is kept.
 */
export async function launchChromium(executablePath, profileDir, { viewport, timeoutMs }) {
  try {
    return await chromium.launchPersistentContext(profileDir, {
      executablePath,
      args: CHROMIUM_ARGS,
      viewport,
      deviceScaleFactor: 1,
      timeout: timeoutMs,
    });
  } catch (error) {
    throw new Error(
      `Chromium (${executablePath}) did not start: ${String(error?.message ?? error).slice(0, 4_000)}`,
    );
  }
}
