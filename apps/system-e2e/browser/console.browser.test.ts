import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { runId, testAuth } from '@order-system/testing';
import type { Browser, BrowserContextOptions } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSystem, type System } from '../test/system.js';
import { addToCart, available, launchBrowser, openPage, placeOrder, screenshotDir, signInAs, trackedStatus, type OpenPage } from './browser.js';

/**
 * The web console (apps/console) in a real browser, against the whole system
 * built and running: the gateway serves the console under /console/ and the
 * browser calls the public API on the same origin, as a person would.
 */
let browser: Browser;
const pages: OpenPage[] = [];
const open = async (options?: BrowserContextOptions) => {
  const p = await openPage(browser, options);
  pages.push(p);
  return p;
};

beforeAll(async () => {
  browser = await launchBrowser();
});
afterAll(async () => {
  for (const p of pages) await p.close();
  await browser?.close();
});

const CREATE = '/orders.v1.OrderService/CreateOrder';

describe('with the dev signer on', () => {
  let sys: System;
  let consoleUrl: string;
  const run = runId();
  const alice = `alice-${run}`;
  const bob = `bob-${run}`;

  beforeAll(async () => {
    sys = await startSystem({ console: true });
    consoleUrl = `${sys.http}/console/`;
  }, 120_000);
  afterAll(async () => {
    await sys?.stop();
  });

  it('loads in under a second, signed out and signed in', async () => {
    const { page, expectClean } = await open();
    const started = Date.now();
    await page.goto(consoleUrl);
    await page.getByRole('button', { name: /^Sign in as / }).waitFor();
    const signInShown = Date.now() - started;
    await signInAs(page, alice);
    await page.locator('.catalog [data-sku="LAPTOP001"]').waitFor();

    // Signed in, a reload keeps the session (this tab's sessionStorage): the page, then the catalog from the API.
    const reloaded = Date.now();
    await page.reload();
    await page.locator('.catalog [data-sku="LAPTOP001"]').waitFor();
    const catalogShown = Date.now() - reloaded;
    const loadEventMs = Number(await page.evaluate('performance.getEntriesByType("navigation")[0].loadEventEnd'));
    console.log(`first load: sign-in shown ${signInShown} ms; signed in, catalog shown ${catalogShown} ms after a reload (load event at ${Math.round(loadEventMs)} ms)`);
    expect(signInShown).toBeLessThan(1000);
    expect(catalogShown).toBeLessThan(1000);
    await expectClean();
  });

  it('an approved order turns CONFIRMED and a declined one FAILED with its reason, live; more than the stock reads as not enough stock', async () => {
    const { page, expectClean } = await open();
    const watches: string[] = [];
    page.on('request', (req) => req.url().endsWith('/orders.v1.OrderService/WatchOrder') && watches.push(req.url()));
    await page.goto(consoleUrl);
    await signInAs(page, alice);
    await page.evaluate('window.__sameDocument = true');

    await addToCart(page, 'LAPTOP001', 1);
    const approved = await placeOrder(page, 'tok_visa');
    expect(await trackedStatus(page, approved, 'CONFIRMED')).toContain('CONFIRMED');

    await addToCart(page, 'MOUSE001', 2);
    const declined = await placeOrder(page, 'tok_chargeDeclined');
    expect(await trackedStatus(page, declined, 'FAILED')).toMatch(/FAILED\s*Payment declined/);

    // Followed through WatchOrder streams, without a reload.
    expect(watches.length).toBeGreaterThanOrEqual(2);
    expect(await page.evaluate('window.__sameDocument')).toBe(true);
    // My orders shows both, with their states and the failure's reason.
    await expect.poll(() => page.locator(`.mine [data-order="${approved}"]`).textContent()).toContain('CONFIRMED');
    await expect.poll(() => page.locator(`.mine [data-order="${declined}"]`).textContent()).toMatch(/FAILED\s*Payment declined/);

    // More than the stock: refused at once, with what is available; nothing is placed.
    const stock = await available(page, '.catalog', 'MONITOR01');
    await addToCart(page, 'MONITOR01', stock + 1);
    await page.getByRole('button', { name: 'Place order' }).click();
    const alert = page.getByRole('alert');
    await expect.poll(() => alert.textContent()).toContain('Not enough stock');
    expect(await alert.textContent()).toContain(`MONITOR01: you asked for ${stock + 1}, only ${stock} available`);
    expect(await page.locator('.tracked [data-order]').count()).toBe(2);

    mkdirSync(screenshotDir, { recursive: true });
    await page.screenshot({ path: path.join(screenshotDir, 'console-shop.png'), fullPage: true });
    await expectClean([{ status: 400, path: CREATE }]);
  });

  it('customer B never sees customer A’s orders, and signing out hides everything', async () => {
    const { page, expectClean } = await open();
    await page.goto(consoleUrl);
    await signInAs(page, alice);
    await addToCart(page, 'PHONE001', 1);
    const alicesOrder = await placeOrder(page, 'tok_visa');
    await trackedStatus(page, alicesOrder, 'CONFIRMED');

    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    const signedOut = (await page.locator('body').textContent()) ?? '';
    expect(signedOut).not.toContain(alicesOrder);
    expect(signedOut).not.toContain(alice);
    expect(await page.locator('.catalog, .cart, .mine, .tracked').count()).toBe(0);
    expect(await page.evaluate('sessionStorage.getItem("order-console.token")')).toBeNull();
    await page.reload();
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.getByTestId('user').count()).toBe(0);

    await signInAs(page, bob);
    await page.locator('.mine').getByText('No orders yet.').waitFor();
    expect(await page.locator('body').textContent()).not.toContain(alicesOrder);
    // Asking for it by id: exactly as if it did not exist.
    await page.getByLabel('Order id').fill(alicesOrder);
    await page.getByRole('button', { name: 'Find' }).click();
    await expect.poll(() => page.getByRole('alert').textContent()).toContain(`Not found order ${alicesOrder} not found`);
    expect(await page.locator(`[data-order="${alicesOrder}"]`).count()).toBe(0);
    await expectClean([{ status: 404, path: '/orders.v1.OrderService/GetOrder' }]);
  });

  it('the operator sees every customer’s orders live, filters them, restocks, and the shopper’s count follows; a changed price is explained', async () => {
    const shopper = await open();
    await shopper.page.goto(consoleUrl);
    await signInAs(shopper.page, bob);
    const before = await available(shopper.page, '.catalog', 'KEYB001');

    const ops = await open();
    await ops.page.goto(consoleUrl);
    await signInAs(ops.page, `ops-${run}`, { admin: true });
    await ops.page.getByRole('link', { name: 'Operations' }).click();
    const table = ops.page.locator('.orders');
    await table.locator(`tbody tr`).first().waitFor();

    // New orders appear in the operator's table without a reload.
    await addToCart(shopper.page, 'KEYB001', 1);
    const bobsOrder = await placeOrder(shopper.page, 'tok_visa');
    await trackedStatus(shopper.page, bobsOrder, 'CONFIRMED');
    await addToCart(shopper.page, 'MOUSE001', 1);
    const bobsDeclined = await placeOrder(shopper.page, 'tok_chargeDeclined');
    await trackedStatus(shopper.page, bobsDeclined, 'FAILED');
    await expect.poll(() => table.locator(`[data-order="${bobsOrder}"]`).textContent(), { timeout: 10_000 }).toContain('CONFIRMED');
    await expect.poll(() => table.locator(`[data-order="${bobsDeclined}"]`).textContent(), { timeout: 10_000 }).toContain('FAILED');
    // Filters: one customer's orders; failed ones only.
    await ops.page.getByLabel('Customer').fill(bob);
    await expect.poll(async () => new Set(await table.locator('tbody tr td:nth-child(2)').allTextContents())).toEqual(new Set([bob]));
    await ops.page.getByLabel('Customer').fill('');
    await ops.page.getByLabel('Status').selectOption({ label: 'FAILED' });
    await expect.poll(async () => new Set(await table.locator('tbody tr .status').allTextContents())).toEqual(new Set(['FAILED']));
    await ops.page.getByLabel('Status').selectOption({ label: 'Any status' });
    // The chart counts them too.
    await expect.poll(async () => Number(await ops.page.locator('.chart svg').getAttribute('data-confirmed')), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);
    await expect.poll(async () => Number(await ops.page.locator('.chart svg').getAttribute('data-failed')), { timeout: 10_000 }).toBeGreaterThanOrEqual(1);

    // Restock: the stock is set through UpsertProduct, and the shopper's catalog follows.
    const now = before - 1;
    await expect.poll(() => available(shopper.page, '.catalog', 'KEYB001')).toBe(now);
    await ops.page.getByLabel('New stock of KEYB001').fill(String(now + 25));
    await ops.page.getByRole('button', { name: 'Set the stock of KEYB001' }).click();
    await ops.page.getByRole('status').getByText(`KEYB001: ${now + 25} available now.`).waitFor();
    await expect.poll(() => available(shopper.page, '.catalog', 'KEYB001'), { timeout: 10_000 }).toBe(now + 25);
    await ops.page.screenshot({ path: path.join(screenshotDir, 'console-operations.png'), fullPage: true });

    // The price changes under the shopper's cart: the order is refused and the cart shows the new price.
    await addToCart(shopper.page, 'HEADPH001', 1);
    const { product } = await sys.catalogAdmin.getProduct({ productId: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d' });
    await sys.catalogAdmin.upsertProduct({ ...product!, price: { currencyCode: 'USD', units: 179, nanos: 0 }, stock: product!.available });
    await shopper.page.getByRole('button', { name: 'Place order' }).click();
    await expect.poll(() => shopper.page.getByRole('alert').textContent()).toContain('The price changed');
    expect(await shopper.page.getByRole('alert').textContent()).toContain('HEADPH001 now costs 179.00 USD, not 199.99 USD');
    expect(await shopper.page.locator('.cart [data-sku="HEADPH001"] .money').textContent()).toMatch(/179\.00/);
    const placedAgain = await placeOrder(shopper.page, 'tok_visa');
    await trackedStatus(shopper.page, placedAgain, 'CONFIRMED');

    await shopper.expectClean([{ status: 400, path: CREATE }]);
    await ops.expectClean();
  });

  it('works at phone width, by keyboard, with every control labelled', async () => {
    const { page, expectClean } = await open({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true });
    await page.goto(consoleUrl);
    await page.getByLabel('User id').focus();
    await page.keyboard.press('ControlOrMeta+a');
    await page.keyboard.type(`carol-${run}`);
    await page.keyboard.press('Enter');
    await page.locator('.catalog [data-sku="MOUSE001"]').waitFor();
    // Add by keyboard: the quantity field, Enter submits its form.
    await page.getByLabel('Quantity of Ergonomic Mouse').focus();
    await page.keyboard.press('Enter');
    await page.locator('.cart [data-sku="MOUSE001"]').waitFor();
    await page.getByRole('button', { name: 'Place order' }).focus();
    await page.keyboard.press('Enter');
    await page.locator('.tracked .status', { hasText: 'CONFIRMED' }).waitFor({ timeout: 20_000 });

    const overflow = await page.evaluate('document.documentElement.scrollWidth - window.innerWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    const unlabelled = await page.evaluate(
      `[...document.querySelectorAll('input, select, textarea, button')]
        .filter((el) => !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !(el.tagName === 'BUTTON' && el.textContent.trim()))
        .map((el) => el.outerHTML)`,
    );
    expect(unlabelled).toEqual([]);
    await expectClean();
  });
});

describe('with the dev signer off', () => {
  let sys: System;

  beforeAll(async () => {
    sys = await startSystem({ console: true, env: { AUTH_DEV_SIGNER_KEY_FILE: '' } });
  }, 120_000);
  afterAll(async () => {
    await sys?.stop();
  });

  it('has no "sign in as" button; a pasted token signs in, and one the gateway refuses signs out', async () => {
    const { page, expectClean } = await open();
    await page.goto(`${sys.http}/console/`);
    await page.getByText('This gateway has no dev signer').waitFor();
    expect(await page.getByRole('button', { name: /^Sign in as/ }).count()).toBe(0);
    expect(await page.getByLabel('User id').count()).toBe(0);

    const token = (await sys.auth.bearer('dave')).replace(/^Bearer /, '');
    await page.getByLabel('Bearer token (a JWT)').fill(token);
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await page.locator('.catalog [data-sku="LAPTOP001"]').waitFor();
    expect(await page.getByTestId('user').textContent()).toBe('dave');
    await page.getByRole('button', { name: 'Sign out' }).click();

    // Well-formed, unexpired, signed by a key this gateway does not trust.
    const forged = (await (await testAuth()).bearer('dave')).replace(/^Bearer /, '');
    await page.getByLabel('Bearer token (a JWT)').fill(forged);
    await page.getByRole('button', { name: 'Sign in with this token' }).click();
    await expect.poll(() => page.getByRole('alert').first().textContent()).toContain('Signed out');
    await page.getByRole('heading', { name: 'Sign in' }).waitFor();
    expect(await page.locator('.catalog').count()).toBe(0);
    await expectClean([
      { status: 404, path: '/dev/token' },
      { status: 401, path: '/catalog.v1.CatalogService/ListProducts' },
      { status: 401, path: '/orders.v1.OrderService/ListOrders' },
    ]);
  });
});
