/**
 * A Web API call refused after the ack: which error Slack gave, and what to tell the person.
 * The WebClient throws `slack_webapi_platform_error` with Slack's `{ok:false, error}` in `data`,
 * and other codes for transport failures (docs.slack.dev/tools/node-slack-sdk/web-api#handling-errors).
 */

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
