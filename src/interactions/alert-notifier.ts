/**
 * The watch's alerts in Slack: one message per group in the alert channel, updated in place,
 * reminders and the resolve line in its thread. Every failure is a value with Slack's error code,
 * so the watch can release its claim and try again on the next run.
 */
import type { WebClient } from '@slack/web-api';
import type { AlertGroupView } from '../domain/alerts.js';
import { clockIn } from '../domain/dates.js';
import { fail, ok, type Probe } from '../domain/result.js';
import type { AlertsNotifier } from '../flows/deps.js';
import { slackErrorCode } from '../flows/slack-failure.js';
import {
  alertFallback,
  alertMessage,
  newlyFiringText,
  reminderText,
  resolvedAlertMessage,
  resolvedThreadText,
} from '../views/alerts.js';
import { digestFallback, digestMessage } from '../views/digest.js';

type Chat = Pick<WebClient['chat'], 'postMessage' | 'update'>;

export function createSlackAlertNotifier(opts: {
  chat: Chat;
  channel: string;
  timeZone: string;
}): AlertsNotifier {
  const { chat, channel } = opts;
  const time = (d: Date) => clockIn(opts.timeZone, d);
  const attempt = async <T>(fn: () => Promise<T>): Promise<Probe<T>> => {
    try {
      return ok(await fn());
    } catch (error) {
      return fail('error', `Slack answered ${slackErrorCode(error)}`);
    }
  };
  const posted = (view: AlertGroupView) => view.group.ts ?? '';
  return {
    async post(view) {
      const r = await attempt(() =>
        chat.postMessage({ channel, text: alertFallback(view), blocks: alertMessage(view, time) }),
      );
      if (!r.ok) return r;
      return r.value.ts ? ok(r.value.ts) : fail('error', 'Slack answered without a message ts');
    },
    async update(view, newlyFiring = []) {
      const r = await attempt(() =>
        chat.update({
          channel,
          ts: posted(view),
          text: alertFallback(view),
          blocks: alertMessage(view, time),
        }),
      );
      if (!r.ok) return r;
      // The edit is the record; the thread line is the notification, its failure undoes nothing.
      if (newlyFiring.length > 0) {
        await attempt(() =>
          chat.postMessage({ channel, thread_ts: posted(view), text: newlyFiringText(newlyFiring) }),
        );
      }
      return ok(true);
    },
    async remind(view, sinceMs) {
      const r = await attempt(() =>
        chat.postMessage({ channel, thread_ts: posted(view), text: reminderText(view, sinceMs) }),
      );
      return r.ok ? ok(true) : r;
    },
    async digest(d) {
      const r = await attempt(() =>
        chat.postMessage({ channel, text: digestFallback(d), blocks: digestMessage(d, time) }),
      );
      if (!r.ok) return r;
      return r.value.ts ? ok(r.value.ts) : fail('error', 'Slack answered without a message ts');
    },
    async resolve(view, afterMs) {
      const blocks = resolvedAlertMessage(view, afterMs, time);
      const updated = await attempt(() =>
        chat.update({ channel, ts: posted(view), text: `Resolved: ${view.group.id}`, blocks }),
      );
      if (!updated.ok) return updated;
      // The message already says it; the thread line is a courtesy, its failure does not undo the resolve.
      await attempt(() =>
        chat.postMessage({ channel, thread_ts: posted(view), text: resolvedThreadText(afterMs) }),
      );
      return ok(true);
    },
  };
}
