/**
 * The watch's alerts in Slack: one message per group in the alert channel, updated in place,
 * reminders and the resolve line in its thread. Every failure is a value with Slack's error code,
 * so the watch can release its claim and try again on the next run.
 */
import type { WebClient } from '@slack/web-api';
import type { AlertGroupView } from '../domain/alerts.js';
import { fail, ok, type Probe } from '../domain/result.js';
import { slackErrorCode } from '../flows/slack-failure.js';
import {
  alertFallback,
  alertMessage,
  reminderText,
  resolvedAlertMessage,
  resolvedThreadText,
} from '../views/alerts.js';
import type { AlertNotifier } from '../workflows/watch.js';

/** "10:02" in the pipeline's time zone. */
export function timeOfDay(timeZone: string): (d: Date) => string {
  const f = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  });
  return (d) => f.format(d);
}

type Chat = Pick<WebClient['chat'], 'postMessage' | 'update'>;

export function createSlackAlertNotifier(opts: {
  chat: Chat;
  channel: string;
  timeZone: string;
}): AlertNotifier {
  const { chat, channel } = opts;
  const time = timeOfDay(opts.timeZone);
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
    async update(view) {
      const r = await attempt(() =>
        chat.update({
          channel,
          ts: posted(view),
          text: alertFallback(view),
          blocks: alertMessage(view, time),
        }),
      );
      return r.ok ? ok(true) : r;
    },
    async remind(view, sinceMs) {
      const r = await attempt(() =>
        chat.postMessage({ channel, thread_ts: posted(view), text: reminderText(view, sinceMs) }),
      );
      return r.ok ? ok(true) : r;
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
