import path from 'node:path';
import { chromium, type Browser, type BrowserContextOptions, type Page } from 'playwright-core';
import { expect } from 'vitest';
import { browserConfig } from './config.js';

/**
 * Debian's chromium-headless-shell (browser/install-chromium.sh installs it),
 * driven by playwright-core. The flags keep it from reaching out on its own:
 * this machine refuses any connection but to itself.
 */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: browserConfig().chromiumPath,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'],
  });
}

/**
 * Where the run saves its screenshots: dist/screenshots, so that a test run
 * leaves the working tree as it was. `SCREENSHOT_DIR=docs/img` refreshes the
 * ones the READMEs show.
 */
export const screenshotDir = path.resolve(import.meta.dirname, '../../..', browserConfig().screenshotDir);

/** An HTTP answer the test provokes on purpose: its status and its path. */
export interface Expected {
  status: number;
  path: string;
}

/**
 * A page in a fresh context (its own storage: one browser user) that records
 * what must not happen: uncaught errors, console errors, failed requests and
 * HTTP error answers. A browser logs every 4xx/5xx as a console error
 * ("Failed to load resource"), so those count as the answers they are, and
 * each test names the ones it provokes.
 */
export async function openPage(browser: Browser, options: BrowserContextOptions = {}) {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 }, ...options });
  const page = await context.newPage();
  const errors: string[] = [];
  const failedRequests: string[] = [];
  const httpErrors: Expected[] = [];
  let recording = true;
  page.on('pageerror', (err) => recording && errors.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    if (!recording || msg.type() !== 'error') return;
    if (/^Failed to load resource: the server responded with a status of \d+/.test(msg.text())) return; // counted below, as a response
    errors.push(`console: ${msg.text()}`);
  });
  page.on('requestfailed', (req) => recording && failedRequests.push(`${req.method()} ${req.url()}: ${req.failure()?.errorText}`));
  page.on('response', (res) => {
    if (recording && res.status() >= 400) httpErrors.push({ status: res.status(), path: new URL(res.url()).pathname });
  });
  return {
    page,
    context,
    /**
     * Nothing went wrong in the page: no uncaught error, no console error, no
     * failed request, and HTTP errors only the expected ones, each at least once
     * (waiting a little for answers still on their way).
     */
    async expectClean(expected: Expected[] = []) {
      const key = (e: Expected) => `${e.status} ${e.path}`;
      const seen = () => [...new Set(httpErrors.map(key))].sort();
      const wanted = [...new Set(expected.map(key))].sort();
      await expect.poll(() => wanted.filter((k) => !seen().includes(k)), { timeout: 5000 }).toEqual([]);
      expect(errors).toEqual([]);
      expect(failedRequests).toEqual([]);
      expect(seen()).toEqual(wanted);
    },
    async close() {
      recording = false;
      await context.close();
    },
  };
}

export type OpenPage = Awaited<ReturnType<typeof openPage>>;

/** Signs in through the console's "sign in as" button (the gateway's dev signer). */
export async function signInAs(page: Page, userId: string, { admin = false } = {}) {
  await page.getByLabel('User id').fill(userId);
  if (admin) await page.getByLabel(/operator/).check();
  await page.getByRole('button', { name: `Sign in as ${userId}` }).click();
  await expect.poll(() => page.getByTestId('user').textContent()).toBe(userId);
}

/** The "N available" a product shows, in the shop's catalog or the operator's stock table. */
export async function available(page: Page, scope: string, sku: string): Promise<number> {
  return Number(await page.locator(`${scope} [data-sku="${sku}"] [data-testid="available"]`).textContent());
}

/** Adds a product to the cart from its catalog card. */
export async function addToCart(page: Page, sku: string, quantity: number) {
  const card = page.locator(`.catalog [data-sku="${sku}"]`);
  await card.getByRole('spinbutton').fill(String(quantity));
  await card.getByRole('button', { name: /^Add / }).click();
  await expect.poll(() => page.locator(`.cart [data-sku="${sku}"]`).count()).toBe(1);
}

/** Places the cart's order with a test payment token; returns the order id shown as tracked. */
export async function placeOrder(page: Page, payment: 'tok_visa' | 'tok_chargeDeclined'): Promise<string> {
  const before = await page.locator('.tracked [data-order]').count();
  await page.getByLabel(new RegExp(`\\(${payment}\\)`)).check();
  await page.getByRole('button', { name: 'Place order' }).click();
  await expect.poll(() => page.locator('.tracked [data-order]').count()).toBe(before + 1);
  return (await page.locator('.tracked [data-order]').first().getAttribute('data-order'))!;
}

/** Waits for an order's status in the shop's live panel (no reload). */
export async function trackedStatus(page: Page, orderId: string, status: string) {
  await page.locator(`.tracked [data-order="${orderId}"] .status`, { hasText: status }).waitFor({ timeout: 20_000 });
  return (await page.locator(`.tracked [data-order="${orderId}"]`).textContent()) ?? '';
}
