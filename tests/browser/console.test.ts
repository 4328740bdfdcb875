/**
 * The local console in a real browser (Debian's Chromium, headless, through playwright-core)
 * against the real bot, the fake Slack, the sandbox (jan20) and the Firestore emulator of the
 * global setup: what a newcomer does after `npm start`. Each stage is saved as a screenshot in
 * test-results/screenshots/ (docs/screenshots/ for the README with UPDATE_SCREENSHOTS=1).
 *
 * Without /usr/bin/chromium the tests are skipped with a message, except under CI=true where
 * that is a failure (`.ci/run` installs Chromium).
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  actAs,
  type ConsoleSession,
  describeBrowser,
  expectNoErrors,
  openTestConsole,
  poll,
} from '../helpers/browser.js';
import { type E2E, startE2E } from '../helpers/e2e.js';

describeBrowser('the console in Chromium (jan20)', () => {
  let e: E2E;
  let browser: ConsoleSession;
  let page: Page;

  beforeAll(async () => {
    e = await startE2E({ scenario: 'jan20', onCall: ['U0BOB'] });
    browser = await openTestConsole(e, 'U0ALICE');
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await e?.stop();
  });

  async function type(text: string): Promise<void> {
    const input = page.locator('#composer-input');
    await input.fill(text);
    await input.press('Enter');
  }

  it('suggests the four commands with their usage hints from manifest.yml', async () => {
    await page.locator('#composer-input').fill('/');
    const items = page.locator('#suggestions .suggestion');
    await poll(() => items.count()).toBe(4);
    await page.locator('#composer-input').fill('/he');
    await expect
      .poll(() => page.locator('#suggestions').textContent())
      .toContain('<YYYY-MM-DD|today|yesterday>');
    await page.locator('#composer-input').press('Tab');
    expect(await page.locator('#composer-input').inputValue()).toBe('/heal ');
    await page.locator('#composer-input').fill('');
  });

  it('shows the problems of /pipeline status on jan20, only to the one who asked', async () => {
    await type('/pipeline status 2026-01-20');
    const report = page.locator('.msg', { hasText: 'Pipeline status · 2026-01-20' });
    await report.waitFor();
    await poll(() => report.textContent()).toContain('HealthChecker');
    const text = (await report.textContent()) ?? '';
    expect(text).toContain('4 of 7');
    expect(text).toContain('Only visible to you');
    expect(await report.locator('.bk-unsupported').count()).toBe(0);
    await expectNoErrors(browser);
    await report.evaluate((el) => el.scrollIntoView({ block: 'start' }));
    await browser.shot('console-status');
  });

  it('runs a button: Verify deploys answers with a new message', async () => {
    const before = await page.locator('#messages > .msg').count();
    await page
      .locator('.msg', { hasText: 'Pipeline status · 2026-01-20' })
      .getByRole('button', { name: 'Verify deploys' })
      .click();
    await page.locator('.msg', { hasText: 'Deploy verification' }).waitFor();
    expect(await page.locator('#messages > .msg').count()).toBe(before + 1);
    expect(await page.locator('.msg', { hasText: 'Deploy verification' }).textContent()).toContain(
      "No module named 'shared'",
    );
    await expectNoErrors(browser);
  });

  it('serves only the console files', async () => {
    const traversal = await fetch(`${browser.url}/static/..%2fserver.ts`);
    expect(traversal.status).toBe(404);
    const types = await fetch(`${browser.url}/static/render.d.ts`);
    expect(types.status).toBe(404);
  });

  describe('heal 2026-01-20 with a two-person approval', () => {
    it('opens the plan modal, asks for approval, approves as the on-call user, and ends clean', {
      timeout: 180_000,
    }, async () => {
      await type('/heal 2026-01-20');
      const modal = page.locator('#modal-layer form.modal');
      await poll(() => modal.locator('.modal-title h2').textContent()).toBe('Heal 2026-01-20');
      const submit = modal.getByRole('button', { name: 'Request approval' });
      await submit.waitFor({ timeout: 30_000 });
      expect(await modal.textContent()).toContain('phase3_2026-01-20_stuck');
      await browser.shot('console-heal-modal');

      // Like Slack's client, a required input left empty is flagged without sending anything…
      const steps = modal.locator('[data-input-block="plan_steps"]');
      const boxes = steps.locator('input[type=checkbox]');
      const submissions = () => e.fake.calls().length;
      for (const box of await boxes.all()) await box.uncheck();
      const before = submissions();
      await submit.click();
      await poll(() => steps.locator('.bk-error').textContent()).toContain('required');
      expect(submissions()).toBe(before);
      // …and the bot's own `response_action: errors` shows on the input it names, keeping what was typed.
      const viewId = (await modal.getAttribute('data-view-id'))!;
      const refused = await e.driver.submitView(viewId, { plan_steps: { plan_steps_input: [] } }, 'U0ALICE');
      expect(refused.outcome).toBe('errors');
      await poll(() => steps.locator('.bk-error').textContent()).toBe('Tick at least one step.');
      for (const box of await boxes.all()) expect(await box.isChecked()).toBe(false);
      for (const box of await boxes.all()) await box.check();
      await submit.click();
      // The modal stays open to say how the submission ended (issue 9): read it, then close it.
      await modal.getByText('Approval requested in').waitFor();
      await page.keyboard.press('Escape');
      await page.locator('#modal-layer').waitFor({ state: 'hidden' });

      const asking = page.locator('#messages > .msg', { hasText: 'approval needed' });
      await asking.waitFor();
      // The same message changes in place (chat.update) as the request moves on: follow it by ts.
      const approval = page.locator(`#messages > .msg[data-ts="${await asking.getAttribute('data-ts')}"]`);
      const approve = approval.getByRole('button', { name: 'Approve', exact: true });
      await approve.waitFor();
      await approval.getByRole('button', { name: 'Reject', exact: true }).waitFor();
      await expectNoErrors(browser);
      await browser.shot('console-approval');

      // Carol is not on call: the bot tells her so, and only her.
      await actAs(page, 'Carol');
      await approve.click();
      await page.locator('#confirm').getByRole('button', { name: 'Approve' }).click();
      const refusal = page.locator('.msg.ephemeral', { hasText: 'Only approvers can approve' });
      await refusal.waitFor();
      await actAs(page, 'Bob');
      await poll(() => refusal.count()).toBe(0);

      // Bob is on call: Approve asks for confirmation first, then runs the steps.
      await approve.click();
      const dialog = page.locator('#confirm');
      await poll(() => dialog.locator('h3').textContent()).toBe('Approve and run?');
      await browser.shot('console-approve-confirm');
      await dialog.getByRole('button', { name: 'Approve' }).click();
      const progress = page.locator('.thread-replies .msg', { hasText: 'Heal 2026-01-20: succeeded' });
      await progress.waitFor({ timeout: 120_000 });
      expect(await progress.textContent()).toContain('5 of 5 steps done');
      await poll(() => approval.textContent()).toContain('approved');
      await poll(() => page.locator('#call-count').textContent()).toBe('(4)');
      await expectNoErrors(browser);
      await browser.shot('console-heal-progress');

      // Reports are cached briefly (30 s by default): --fresh reads the healed state now.
      await actAs(page, 'Alice');
      await type('/pipeline status 2026-01-20 --fresh');
      const clean = page.locator('#messages > .msg', { hasText: 'no stuck runs' });
      await clean.waitFor({ timeout: 30_000 });
      const text = (await clean.textContent()) ?? '';
      expect(text).toMatch(/Games with box scores\s*7 of 7/);
      expect(text).toMatch(/Players with predictions\s*224 of at least 224/);
      expect(text).not.toContain('4 of 7');
      await clean.evaluate((el) => el.scrollIntoView({ block: 'start' }));
      await expectNoErrors(browser);
      await browser.shot('console-status-clean');
    });
  });
});
