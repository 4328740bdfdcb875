/**
 * Headless Chromium (Debian's, through playwright-core) on the local console, for the browser
 * tests. Without /usr/bin/chromium they are skipped with a message, except under CI=true where
 * that is a failure (`.ci/run` installs Chromium). Screenshots go to test-results/screenshots/
 * (ignored by git), or to docs/screenshots/ with UPDATE_SCREENSHOTS=1.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { describe, expect } from 'vitest';
import { type ConsoleHandle, mountConsole } from '../../devstack/src/local/console/server.js';
import type { E2E } from './e2e.js';

export const root = resolve(import.meta.dirname, '../..');
const shots = join(
  root,
  process.env.UPDATE_SCREENSHOTS === '1' ? 'docs/screenshots' : 'test-results/screenshots',
);
export const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const inCi = ['1', 'true'].includes(String(process.env.CI).toLowerCase());
const skipReason = `browser tests skipped: ${CHROMIUM} is missing (apt-get install chromium; under CI=true this fails)`;

/** `describe` when Chromium is there (or under CI, where its absence fails), else a skip saying why. */
export function describeBrowser(name: string, fn: () => void): void {
  if (haveChromium || inCi) describe(name, fn);
  else {
    console.warn(skipReason);
    describe.skip(skipReason, fn);
  }
}

/** Waits for the page (on two shared cores a render can take a while); Vitest's default is 1 s. */
export const poll = <T>(fn: () => Promise<T> | T) => expect.poll(fn, { timeout: 20_000, interval: 100 });

/** The people in the console's user list; start the E2E with `onCall: ['U0BOB']` to match Bob's role. */
const USERS = [
  { id: 'U0ALICE', name: 'Alice', role: 'requester' },
  { id: 'U0BOB', name: 'Bob', role: 'on-call approver' },
  { id: 'U0CAROL', name: 'Carol', role: 'not on call' },
];

/** The local console on `e`'s fake Slack and sandbox: #ops (C0OPS), the @oncall group, Alice, Bob and Carol. */
function mountTestConsole(e: E2E): ConsoleHandle {
  return mountConsole(e.fake, {
    driver: e.driver,
    sandboxUrl: e.sandbox.url,
    manifestPath: join(root, 'manifest.yml'),
    users: USERS,
    channel: 'C0OPS',
    usergroups: [{ id: 'S0ONCALL01', handle: 'oncall' }],
  });
}

export interface BrowserPage {
  page: Page;
  /** Errors thrown in the page. */
  errors: string[];
  /** Save the page as `<name>.png` in the screenshots folder. */
  shot(name: string): Promise<Buffer>;
  close(): Promise<void>;
}

/** A fresh profile, one page at `url`, the console's live updates connected. */
export async function openConsolePage(url: string): Promise<BrowserPage> {
  if (!haveChromium) throw new Error(`${CHROMIUM} is required under CI (apt-get install chromium)`);
  const profile = mkdtempSync(join(tmpdir(), 'console-chromium-'));
  let context: BrowserContext | undefined;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--no-first-run',
        '--disable-quic',
        '--disable-sync',
      ],
      viewport: { width: 1400, height: 900 },
    });
    context.setDefaultTimeout(20_000);
    const page = context.pages()[0] ?? (await context.newPage());
    const errors: string[] = [];
    page.on('pageerror', (error) => errors.push(error.message));
    mkdirSync(shots, { recursive: true });
    await page.goto(url);
    await page.locator('#live.on').waitFor();
    const opened = context;
    return {
      page,
      errors,
      shot: (name) => page.screenshot({ path: join(shots, `${name}.png`), animations: 'disabled' }),
      async close() {
        await opened.close();
        rmSync(profile, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await context?.close();
    rmSync(profile, { recursive: true, force: true });
    throw error;
  }
}

export interface ConsoleSession extends BrowserPage {
  /** The console's address, for requests made outside the page. */
  url: string;
}

/** The local console on `e`, open in Chromium as `user`; `close` closes the page, then the console. */
export async function openTestConsole(e: E2E, user: string): Promise<ConsoleSession> {
  const web = mountTestConsole(e);
  try {
    const browser = await openConsolePage(`${web.url}?user=${user}`);
    return {
      ...browser,
      url: web.url,
      async close() {
        await browser.close();
        web.close();
      },
    };
  } catch (error) {
    web.close();
    throw error;
  }
}

/** Picks `name` in the console's user list: what follows is done as them. */
export async function actAs(page: Page, name: string): Promise<void> {
  await page.locator('#users .user', { hasText: name }).click();
  await poll(() => page.locator('#users .user.active').textContent()).toContain(name);
}

/** No red toast and nothing thrown in the page: every click and command went through. */
export async function expectNoErrors(browser: BrowserPage): Promise<void> {
  expect(await browser.page.locator('.toast.error').allTextContents()).toEqual([]);
  expect(browser.errors).toEqual([]);
}
