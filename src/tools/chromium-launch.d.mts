import type { BrowserContext } from 'playwright-core';

/** The flags every IdeaMine launch of Chromium uses (why each: chromium-launch.mjs). */
export declare const CHROMIUM_ARGS: readonly string[];

/** Launches the machine's Chromium at `executablePath` with its own profile dir; rejects naming the executable. */
export declare function launchChromium(
  executablePath: string,
  profileDir: string,
  options: { viewport: { width: number; height: number }; timeoutMs: number },
): Promise<BrowserContext>;
