/**
 * Slack's limits, in one place: the views clamp to them and the fake Slack validates against them
 * (it imports this module; there is no second copy). Each entry cites where it comes from:
 * - BK: the Block Kit reference, docs.slack.dev/reference/block-kit/… (blocks/…, block-elements/…,
 *   composition-objects/…), and the same sentences in the JSDoc of `@slack/types` (dist/block-kit/*.d.ts);
 * - VIEW: docs.slack.dev/reference/views (modal and Home tab view objects), `@slack/types` dist/views.d.ts;
 * - WEB: the Web API method pages, docs.slack.dev/reference/methods/….
 * Where two sources disagree the smaller number is kept (a stand-in must never be more lenient than Slack).
 */
export const slackLimits = {
  /** BK blocks: "up to 50 blocks in each message". */
  messageBlocks: 50,
  /** BK blocks / VIEW: "up to 100 blocks in modals or Home tabs". */
  viewBlocks: 100,
  /**
   * Not in the reference: chat.postMessage / chat.update answer `msg_blocks_too_long` once the text of
   * all blocks together passes about 12,000 characters, reported from about 11,300 (slackapi/bolt-js
   * issues #2509 and #2867). We keep every message under 10,000 and the fake refuses anything above.
   */
  messageBlockText: 10_000,
  /** WEB chat.postMessage: the top-level `text` is truncated past 40,000 characters; the fake refuses it. */
  messageText: 40_000,

  /** BK blocks/header-block: text "Maximum length … 150 characters". */
  headerText: 150,
  /** BK blocks/section-block: text "minimum length … 1 and maximum length … 3000 characters". */
  sectionText: 3000,
  /** BK blocks/section-block: fields "Maximum number of items is 10". */
  sectionFields: 10,
  /** BK blocks/section-block: "Maximum length for the text in each item is 2000 characters". */
  fieldText: 2000,
  /** BK blocks/context-block: elements "Maximum number of items is 10". */
  contextElements: 10,
  /** BK composition-objects/text-object: text "minimum length is 1 and maximum length is 3000". */
  textObject: 3000,
  /** BK blocks/actions-block: "There is a maximum of 25 elements in each action block". */
  actionsElements: 25,
  /** BK blocks/input-block: label "Maximum length for the text in this field is 2000 characters". */
  inputLabel: 2000,
  /** BK blocks/input-block: hint "Maximum length for the text in this field is 2000 characters". */
  inputHint: 2000,
  /** BK blocks/image-block: alt_text 2000, image_url 3000, title 2000. */
  imageAltText: 2000,
  imageUrl: 3000,
  imageTitle: 2000,
  /** BK (every block): block_id "Maximum length for this field is 255 characters". */
  blockId: 255,

  /** BK block-elements/button-element: text 75, value 2000, url 3000, accessibility_label 75. */
  buttonText: 75,
  buttonValue: 2000,
  url: 3000,
  accessibilityLabel: 75,
  /** BK (every interactive element): action_id "Maximum length for this field is 255 characters". */
  actionId: 255,

  /** BK composition-objects/option-object: text 75, description 75. */
  optionText: 75,
  optionDescription: 75,
  /**
   * BK composition-objects/option-object says 150 for value; the JSDoc of `@slack/types`
   * (OptionDescriptor.value) says 75. The stricter one is kept.
   */
  optionValue: 75,
  /** BK composition-objects/option-group-object: label 75, options 100. */
  optionGroupLabel: 75,
  /** BK block-elements/select-menu-element (static): options and option_groups "Maximum number … is 100". */
  selectOptions: 100,
  /** BK block-elements/checkboxes-element and radio-button-group-element: "A maximum of 10 options". */
  checkboxOptions: 10,
  radioOptions: 10,
  /** BK block-elements/overflow-menu-element: options "minimum number of options is 1 … maximum … 5". */
  overflowOptions: 5,
  /** BK (select menus, plain-text input, datepicker): placeholder "Maximum length … 150 characters". */
  placeholder: 150,
  /** BK block-elements/plain-text-input-element: min_length 0–3000, max_length 1–3000. */
  plainTextInputLength: 3000,

  /** BK composition-objects/confirmation-dialog-object: title 100, text 300, confirm 30, deny 30. */
  confirmTitle: 100,
  confirmText: 300,
  confirmButton: 30,

  /** VIEW: title, submit and close "maximum length of 24 characters". */
  viewTitle: 24,
  viewSubmit: 24,
  viewClose: 24,
  /** VIEW: private_metadata "Maximum length of 3000 characters". */
  privateMetadata: 3000,
  /** VIEW: callback_id "Maximum length of 255 characters"; external_id likewise. */
  callbackId: 255,
  externalId: 255,
} as const;

export type SlackLimit = keyof typeof slackLimits;

/** Block types the bot may emit (and the fake accepts); anything else is `invalid_blocks`. */
export const knownBlockTypes = [
  'actions',
  'context',
  'divider',
  'header',
  'image',
  'input',
  'section',
] as const;

/** Element types the bot may emit (and the fake accepts), by where they may stand (BK block reference). */
export const knownElementTypes = {
  actions: [
    'button',
    'checkboxes',
    'datepicker',
    'overflow',
    'radio_buttons',
    'static_select',
    'users_select',
  ],
  accessory: [
    'button',
    'checkboxes',
    'datepicker',
    'image',
    'overflow',
    'radio_buttons',
    'static_select',
    'users_select',
  ],
  input: [
    'checkboxes',
    'datepicker',
    'plain_text_input',
    'radio_buttons',
    'static_select',
    'users_select',
    'multi_static_select',
  ],
  context: ['image', 'mrkdwn', 'plain_text'],
} as const;
