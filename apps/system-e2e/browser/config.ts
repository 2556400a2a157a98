import { parseConfig, str } from '@order-system/config';

/** The browser tests' settings: which Chromium to drive, and where screenshots go (relative to the repository). */
export function browserConfig(env: NodeJS.ProcessEnv = process.env) {
  return parseConfig(env, {
    chromiumPath: str('CHROMIUM_PATH', '/usr/bin/chromium-headless-shell'),
    screenshotDir: str('SCREENSHOT_DIR', 'dist/screenshots'),
  });
}
