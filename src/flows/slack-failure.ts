/**
 * A Web API call refused after the ack: which error Slack gave, and what to tell the person.
 * The WebClient throws `slack_webapi_platform_error` with Slack's `{ok:false, error}` in `data`,
 * and other codes for transport failures (docs.slack.dev/tools/node-slack-sdk/web-api#handling-errors).
 */
import type { Logger } from '../log.js';

/** Slack's error code (`not_in_channel`, `invalid_blocks`, …), or the client's own for a transport failure. */
export function slackErrorCode(error: unknown): string {
  if (typeof error !== 'object' || error === null) return 'unknown_error';
  const e = error as { code?: unknown; data?: { error?: unknown } };
  if (typeof e.data?.error === 'string') return e.data.error;
  if (e.code === 'slack_webapi_rate_limited_error') return 'ratelimited';
  return typeof e.code === 'string' ? e.code : 'unknown_error';
}

/**
 * Why a post in `channel` was refused, in the person's terms (mrkdwn; `code` is Slack's and
 * shown as is). Errors of chat.postMessage: docs.slack.dev/reference/methods/chat.postMessage.
 */
export function postFailureText(code: string, channel: string, what: string): string {
  const said = `(Slack answered \`${code.replace(/[^a-z0-9_]/gi, '')}\`)`;
  if (code === 'not_in_channel')
    return `I could not post ${what} in <#${channel}> because I am not a member of it ${said}. Invite me with \`/invite @pipeline-ops\` and try again.`;
  if (code === 'channel_not_found' && channel.startsWith('D'))
    return `I cannot post ${what} in a direct message ${said}: run the command in a channel I am in, where approvers can see it.`;
  if (code === 'channel_not_found')
    return `I cannot see this channel ${said}: a private channel needs me invited (\`/invite @pipeline-ops\`). Or run the command in a channel I am in.`;
  if (code === 'is_archived') return `I cannot post ${what}: the channel is archived ${said}.`;
  return `Slack refused to post ${what} ${said}.`;
}

/** Slack's code in the body of a refused response_url post: plain text (`invalid_blocks`) or JSON. */
function responseRefusalCode(body: string): string {
  try {
    const parsed = JSON.parse(body) as { error?: unknown };
    if (typeof parsed?.error === 'string') return parsed.error.replace(/[^a-z0-9_]/gi, '');
  } catch {
    // plain text, as an incoming webhook answers
  }
  const text = body.trim();
  return /^[a-z_]{1,60}$/.test(text) ? text : 'http_400';
}

type Fetch = (url: string | URL, init?: RequestInit) => Promise<Response>;

/**
 * The fetch Bolt's respond() posts to response_urls with. respond() throws on a refusal with only
 * the HTTP status (bolt-js src/context/create-respond.ts) and the listener has nobody left to tell,
 * so the person saw nothing. Slack answers a message it cannot show with HTTP 400 and its code in
 * the body, as an incoming webhook does (slackapi/java-slack-sdk#1017), and the use is not spent:
 * the person is told there, in plain text with that code. Web API calls (under `apiUrl`) and posts
 * without blocks (nothing simpler to fall back to) pass through untouched.
 */
export function tellRefusedResponses(base: Fetch, apiUrl: string, log: Logger): Fetch {
  return async (url, init) => {
    const answer = await base(url, init);
    const href = String(url);
    if (answer.status !== 400 || href.startsWith(apiUrl) || typeof init?.body !== 'string') return answer;
    let sent: { blocks?: unknown; response_type?: unknown };
    try {
      sent = JSON.parse(init.body) as typeof sent;
    } catch {
      return answer;
    }
    if (!Array.isArray(sent.blocks)) return answer;
    const body = await answer.text();
    const code = responseRefusalCode(body);
    log.warn('Slack refused an answer through the response_url', { code });
    const text = `:x: Slack refused to show this answer (\`${code}\`). Try again; if it keeps happening, the bot's log has the details.`;
    await base(href, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ response_type: 'ephemeral', replace_original: false, text }),
    }).catch((error: unknown) => log.warn('could not tell a refused answer', { code, error: String(error) }));
    // The caller still learns of the refusal (respond() rejects on it).
    return new Response(body, {
      status: answer.status,
      statusText: answer.statusText,
      headers: answer.headers,
    });
  };
}
