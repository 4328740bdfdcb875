/**
 * The watch in the local console, in a real browser (issue 12): the `incident` scenario starts
 * healthy; the sandbox panel's *Next stage* makes yesterday's data come up short; two watch runs
 * later the alert appears in the channel; Bob (on call) acknowledges it from the page and the same
 * message says so; the next stage brings the data back and the next run turns that same message
 * green, with one line in its thread and no second alert. Each stage is saved as a screenshot.
 */
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { WatchOutcome } from '../../src/workflows/watch.js';
import {
  actAs,
  type ConsoleSession,
  describeBrowser,
  expectNoErrors,
  openTestConsole,
  poll,
} from '../helpers/browser.js';
import { type E2E, startE2E } from '../helpers/e2e.js';

describeBrowser('alerts in the console (incident)', () => {
  let e: E2E;
  let browser: ConsoleSession;
  let page: Page;
  let ticks = 0;
  /** The alert's date: the group the watch posted. */
  let date = '';
  /** The alert message, followed by its ts through every update. */
  let alert: Locator;

  beforeAll(async () => {
    e = await startE2E({
      scenario: 'incident',
      onCall: ['U0BOB'],
      alerts: {},
      // The daily digest is due whenever the wall clock is past 09:00 in New York: not this test's subject.
      patch: (config) => {
        const { digestAt: _digest, ...alerts } = config.alerts!;
        return { ...config, alerts };
      },
    });
    browser = await openTestConsole(e, 'U0ALICE');
    page = browser.page;
  });

  afterAll(async () => {
    await browser?.close();
    await e?.stop();
  });

  /** One run of the watch, as its timer or Cloud Scheduler would start it. */
  async function tick(): Promise<WatchOutcome[]> {
    const result = await e.bot.watch!.tick(`browser:${++ticks}`);
    expect(result.skipped).toBeUndefined();
    return result.outcomes;
  }

  async function nextStage(name: string): Promise<void> {
    await page.locator('#timeline-step').click();
    await poll(() => page.locator('#timeline .stage.current b').textContent()).toBe(name);
  }

  const topLevel = () => page.locator('#messages > .msg');

  it('shows the timeline in the sandbox panel; healthy, the watch says nothing', async () => {
    await poll(() => page.locator('#timeline').isVisible()).toBe(true);
    expect(await page.locator('#timeline .stage b').allTextContents()).toEqual([
      'healthy',
      'fault',
      'recovered',
    ]);
    expect(await page.locator('#timeline .stage.current b').textContent()).toBe('healthy');
    expect(await page.locator('#timeline-next').textContent()).toBe('Next: fault, when stepped.');
    expect((await tick()).map((o) => o.action)).toEqual(['none', 'none', 'none']);
    expect(await topLevel().count()).toBe(0);
    await expectNoErrors(browser);
  });

  it('the fault appears: nothing on the first run after it, the alert on the second', async () => {
    await nextStage('fault');
    await poll(() => page.locator('#timeline .stage.current').textContent()).toContain('crashed half-way');
    await browser.shot('alerts-fault-stage');
    expect((await tick()).map((o) => o.action)).toEqual(['none', 'none', 'none']);
    expect(await topLevel().count()).toBe(0);

    const second = await tick();
    const posted = second.filter((o) => o.action === 'post');
    expect(posted).toHaveLength(1);
    expect(posted[0]!.ok).toBe(true);
    date = posted[0]!.group;
    const shown = topLevel().filter({ hasText: `Pipeline alert: ${date}` });
    await shown.waitFor();
    alert = page.locator(`#messages > .msg[data-ts="${await shown.getAttribute('data-ts')}"]`);
    const text = (await alert.textContent()) ?? '';
    expect(text).toContain('4 problems, 4 failing');
    expect(text).toMatch(/Games with box scores\s*·\s*4 of 7 expected/);
    const buttons = await alert.locator('button.bk-button').allTextContents();
    expect(buttons.map((b) => b.trim())).toEqual([
      `Heal ${date}`,
      'Full status',
      'Acknowledge',
      'Silence 1 h',
      'Silence 4 h',
      'Until tomorrow',
    ]);
    expect(await alert.locator('.bk-unsupported').count()).toBe(0);
    expect(await topLevel().count()).toBe(1);
    await expectNoErrors(browser);
    await browser.shot('alerts-posted');
  });

  it('Bob, on call, acknowledges it from the page: the same message says so', async () => {
    await actAs(page, 'Bob');
    await alert.getByRole('button', { name: 'Acknowledge', exact: true }).click();
    await poll(() => alert.textContent()).toContain('acknowledged by @Bob');
    // Nothing fires unacknowledged any more: the button is gone, the silences stay.
    expect(await alert.getByRole('button', { name: 'Acknowledge', exact: true }).count()).toBe(0);
    expect(await alert.getByRole('button', { name: 'Silence 1 h', exact: true }).count()).toBe(1);
    expect(await alert.locator('.edited').count()).toBe(1);
    expect(await topLevel().count()).toBe(1);
    // The next run finds the same faults, already shown: nothing to send.
    expect((await tick()).map((o) => o.action)).toEqual(['none', 'none', 'none']);
    await expectNoErrors(browser);
    await browser.shot('alerts-acknowledged');
  });

  it('the fault goes away: the same message turns resolved, one line in its thread, no second alert', async () => {
    await nextStage('recovered');
    const outcomes = await tick();
    expect(outcomes.filter((o) => o.action !== 'none')).toEqual([
      { group: date, action: 'resolve', ok: true },
    ]);
    await poll(() => alert.textContent()).toContain(`Resolved: ${date}`);
    const text = (await alert.textContent()) ?? '';
    expect(text).toMatch(/Resolved after \d+ min: every check that fired passes again/);
    expect(await alert.locator('button.bk-button').count()).toBe(0);
    const replies = alert.locator('.thread-replies .msg');
    await poll(() => replies.count()).toBe(1);
    expect(await replies.first().textContent()).toMatch(/Resolved after \d+ min\./);
    expect(await topLevel().count()).toBe(1);
    expect(await page.locator('.msg', { hasText: 'Pipeline alert' }).count()).toBe(0);
    expect(await page.locator('#timeline-step').isDisabled()).toBe(true);
    await expectNoErrors(browser);
    await browser.shot('alerts-resolved');
  });
});
