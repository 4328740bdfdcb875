/** Types for `render.js`, the console's Block Kit → HTML renderer (plain JS so the browser loads it as is). */

export interface RenderContext {
  /** User id → display name, for `<@U…>`. */
  users?: Record<string, string>;
  /** User group id → handle, for `<!subteam^S…>`. */
  usergroups?: Record<string, string>;
  /** Channel id → name, for `<#C…>`. */
  channels?: Record<string, string>;
}

export interface BlockContext extends RenderContext {
  /** A view's `state.values` (block_id → action_id → value), to fill inputs. */
  state?: Record<string, Record<string, unknown>>;
  /** block_id → message, from a `response_action: 'errors'` answer. */
  errors?: Record<string, string>;
}

/** The class of every "unsupported …" placeholder. */
export const UNSUPPORTED_CLASS: string;

export function escapeHtml(text: unknown): string;
/** Slack mrkdwn to safe HTML. */
export function mrkdwn(text: string, ctx?: RenderContext): string;
/** A plain_text or mrkdwn text object to safe HTML. */
export function textObject(value: unknown, ctx?: RenderContext): string;
/** The placeholder markup for something the renderer does not know. */
export function unsupported(kind: string, type: unknown): string;
/** The placeholders in rendered HTML, e.g. `['unsupported block: video']`. */
export function findUnsupported(html: string): string[];
export function renderBlocks(blocks: unknown, ctx?: BlockContext): string;
/** A message: its blocks (or its text when it has none) and attachments. */
export function renderMessage(
  message: { text?: unknown; blocks?: unknown; attachments?: unknown } | undefined,
  ctx?: RenderContext,
): string;
/** A modal with its title, inputs (state and errors from the view) and buttons. */
export function renderModal(view: unknown, ctx?: RenderContext): string;
