/**
 * The console page: a Slack-like channel driven by the real bot through the console's JSON API
 * (`server.ts`), kept live by server-sent events. Plain DOM, no framework; Block Kit markup comes
 * from `render.js`, which escapes everything the bot sent.
 */
import { escapeHtml, renderMessage, renderModal, textObject } from './render.js';

const $ = (selector) => document.querySelector(selector);

const page = {
  meta: undefined,
  commands: [],
  user: '',
  messages: [],
  views: [],
  /** Modals and Home tabs Slack refused for this viewer: shown in place of the modal. */
  refusedViews: [],
  /** Threads the person folded, by parent ts. */
  folded: new Set(),
  /** Messages changed since the last render (chat.update): they flash once. */
  changed: new Set(),
  /** What each rendered message's HTML was, to leave unchanged ones alone. */
  rendered: new Map(),
  shownView: '',
  history: [],
};

// ---- API ----

async function api(path, options = {}) {
  const init = { ...options };
  if (options.body !== undefined) {
    init.method = options.method ?? 'POST';
    init.headers = { 'content-type': 'application/json' };
    init.body = JSON.stringify(options.body);
  }
  const response = await fetch(`/console/api/${path}`, init);
  const body = await response.json().catch(() => ({}));
  if (!response.ok || body.ok === false) throw new Error(body.error ?? `HTTP ${response.status}`);
  return body;
}

function toast(message, kind = 'error') {
  const el = document.createElement('div');
  el.className = `toast ${kind}`;
  el.textContent = message;
  $('#toasts').append(el);
  setTimeout(() => el.remove(), kind === 'error' ? 8000 : 4000);
}

function renderContext() {
  const users = Object.fromEntries(page.meta.users.map((u) => [u.id, u.name]));
  users[page.meta.bot.id] = page.meta.bot.name;
  return {
    users,
    usergroups: Object.fromEntries(page.meta.usergroups.map((g) => [g.id, g.handle])),
    channels: { [page.meta.channel.id]: page.meta.channel.name },
  };
}

function nameOf(id) {
  if (id === page.meta.bot.id) return page.meta.bot.name;
  return page.meta.users.find((u) => u.id === id)?.name ?? id;
}

// ---- state and live updates ----

let refreshing;
let again = false;

/** Fetch the channel and the modals as the current user sees them; coalesces bursts of changes. */
function refresh() {
  if (refreshing) {
    again = true;
    return refreshing;
  }
  refreshing = (async () => {
    try {
      const state = await api(`state?user=${encodeURIComponent(page.user)}`);
      page.messages = state.messages;
      page.views = state.views;
      page.refusedViews = state.refusedViews ?? [];
      renderTimeline();
      renderModalLayer();
    } catch (error) {
      toast(`Could not load the channel: ${error.message}`);
    } finally {
      refreshing = undefined;
      if (again) {
        again = false;
        refresh();
      }
    }
  })();
  return refreshing;
}

function connect() {
  const live = $('#live');
  const events = new EventSource('/console/api/events');
  events.onopen = () => {
    live.textContent = 'live';
    live.classList.add('on');
    refresh();
  };
  events.onerror = () => {
    live.textContent = 'reconnecting…';
    live.classList.remove('on');
  };
  events.onmessage = (event) => {
    const change = JSON.parse(event.data);
    if (change.action === 'updated' && change.ts) page.changed.add(change.ts);
    refresh();
  };
}

// ---- channel ----

const eye =
  '<svg class="emoji" viewBox="0 0 20 20" aria-hidden="true"><path d="M1.5 10s3.2-5.5 8.5-5.5 8.5 5.5 8.5 5.5-3.2 5.5-8.5 5.5S1.5 10 1.5 10z" fill="none" stroke="currentColor" stroke-width="1.6"/><circle cx="10" cy="10" r="2.6" fill="currentColor"/></svg>';

const surfaceName = (method) =>
  method.startsWith('views.') ? (method === 'views.publish' ? 'Home tab' : 'modal') : 'message';

/** Slack's refusal of a bot call, in place of what it would have shown: the error and each JSON pointer. */
function refusalHtml(r, what) {
  const lines = r.messages
    .map((line) => `<li><code class="refused-line">${escapeHtml(line)}</code></li>`)
    .join('');
  return `<div class="refused" role="alert"><div class="refused-title">Slack refused this ${escapeHtml(what)}: <code>${escapeHtml(
    r.error,
  )}</code> <span class="muted">(${escapeHtml(r.method)})</span></div>${lines ? `<ul>${lines}</ul>` : ''}<button type="button" class="bk-button" data-dismiss="${escapeHtml(
    String(r.seq),
  )}">Dismiss</button></div>`;
}

function messageHtml(m) {
  const bot = m.user === page.meta.bot.id;
  const name = nameOf(m.user);
  const head = `<div class="msg-meta"><span class="author">${escapeHtml(name)}</span>${
    bot ? '<span class="app-badge">APP</span>' : ''
  }${m.edited ? '<span class="edited">(edited)</span>' : ''}</div>`;
  const only = m.ephemeral ? `<div class="only-you">${eye} Only visible to you</div>` : '';
  let thread = '';
  if (m.replies.length > 0) {
    const folded = page.folded.has(m.ts);
    const count = `${m.replies.length} ${m.replies.length === 1 ? 'reply' : 'replies'}`;
    thread = `<div class="thread"><button type="button" class="thread-toggle" data-thread="${escapeHtml(m.ts)}" aria-expanded="${!folded}">${folded ? '▸' : '▾'} ${count}</button>${
      folded ? '' : `<div class="thread-replies">${m.replies.map(messageHtml).join('')}</div>`
    }</div>`;
  }
  // A refused post has no content: the refusal stands where the message would have been.
  const refusedPost = m.refused && m.ts.startsWith('refused-');
  const body = refusedPost ? '' : `<div class="msg-body">${renderMessage(m, renderContext())}</div>`;
  const refused = m.refused
    ? refusalHtml(m.refused, refusedPost ? 'message' : 'update of the message above')
    : '';
  return `<article class="msg${m.ephemeral ? ' ephemeral' : ''}${refusedPost ? ' refused-post' : ''}" data-ts="${escapeHtml(m.ts)}"><div class="avatar${
    bot ? ' bot' : ''
  }" aria-hidden="true">${escapeHtml(name.slice(0, 1).toUpperCase())}</div><div class="msg-main">${head}${only}${body}${refused}${thread}</div></article>`;
}

function renderTimeline() {
  const list = $('#messages');
  const nearBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 120;
  if (page.messages.length === 0) {
    list.innerHTML = '<p class="empty">No messages yet. Type <code>/pipeline status</code> below.</p>';
    page.rendered.clear();
    return;
  }
  const nodes = [];
  const next = new Map();
  for (const m of page.messages) {
    const key = `${m.ephemeral ? 'e' : 'm'}${m.ts}`;
    const html = messageHtml(m);
    const old = page.rendered.get(key);
    let node = old && old.html === html ? old.node : undefined;
    if (!node) {
      const holder = document.createElement('div');
      holder.innerHTML = html;
      node = holder.firstElementChild;
      const changed = m.replies.some((r) => page.changed.has(r.ts));
      if (old && (page.changed.has(m.ts) || changed)) node.classList.add('flash');
    }
    next.set(key, { html, node });
    nodes.push(node);
  }
  page.changed.clear();
  page.rendered = next;
  list.replaceChildren(...nodes);
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

// ---- modals ----

function formValues(form) {
  const values = {};
  for (const el of form.querySelectorAll('[data-input]')) {
    const { blockId, actionId, type } = el.dataset;
    values[blockId] ??= {};
    values[blockId][actionId] = inputValue(el, type);
  }
  return values;
}

/** Shorthand the driver understands (a string or a list of option values), or Slack's empty state. */
function inputValue(el, type) {
  switch (type) {
    case 'checkboxes':
      return [...el.querySelectorAll('input:checked')].map((i) => i.value);
    case 'radio_buttons':
      return el.querySelector('input:checked')?.value ?? { type, selected_option: null };
    case 'multi_static_select':
      return [...el.selectedOptions].map((o) => o.value);
    case 'static_select':
      return el.value || { type, selected_option: null };
    case 'datepicker':
      return el.value || { type, selected_date: null };
    case 'timepicker':
      return el.value || { type, selected_time: null };
    default:
      return el.value === '' ? { type, value: null } : el.value;
  }
}

function isEmpty(value) {
  return (
    (typeof value === 'object' && !Array.isArray(value)) ||
    value === '' ||
    (Array.isArray(value) && value.length === 0)
  );
}

/** Puts typed values back after a re-render of the same view (views.update keeps what was typed). */
function restoreValues(form, values) {
  for (const el of form.querySelectorAll('[data-input]')) {
    const value = values[el.dataset.blockId]?.[el.dataset.actionId];
    if (value === undefined) continue;
    if (el.matches('.bk-options')) {
      const chosen = new Set(Array.isArray(value) ? value : typeof value === 'string' ? [value] : []);
      for (const input of el.querySelectorAll('input')) input.checked = chosen.has(input.value);
    } else if (el.multiple) {
      for (const option of el.options) option.selected = Array.isArray(value) && value.includes(option.value);
    } else {
      el.value = typeof value === 'string' ? value : '';
    }
  }
}

function renderModalLayer() {
  const layer = $('#modal-layer');
  const view = page.views.at(-1);
  const refusals = page.refusedViews.map((r) => refusalHtml(r, surfaceName(r.method))).join('');
  if (!view && refusals) {
    // Nothing opened (or the Home tab was refused): the refusal stands where the modal would have been.
    const key = `refused:${refusals}`;
    if (key === page.shownView) return;
    layer.innerHTML = `<div class="modal refused-modal">${refusals}</div>`;
    page.shownView = key;
    layer.hidden = false;
    return;
  }
  if (!view) {
    layer.hidden = true;
    layer.replaceChildren();
    page.shownView = '';
    return;
  }
  const key = JSON.stringify(view) + refusals;
  if (key === page.shownView) return;
  const current = layer.querySelector('form.modal');
  const typed = current && current.dataset.viewId === view.id ? formValues(current) : undefined;
  layer.innerHTML = renderModal(view, renderContext());
  const form = layer.querySelector('form.modal');
  // A refused views.update leaves the modal as it was: say so on top of it.
  form?.querySelector('.modal-body')?.insertAdjacentHTML('afterbegin', refusals);
  if (typed && form) restoreValues(form, typed);
  page.shownView = key;
  layer.hidden = false;
  if (!current) form?.querySelector('input, textarea, select, button[type=submit]')?.focus();
}

async function submitModal(form) {
  const values = formValues(form);
  // Slack's client checks required inputs itself and sends nothing until they are filled.
  let missing = false;
  for (const block of form.querySelectorAll('[data-input-block]')) {
    block.querySelector('.bk-error.local')?.remove();
    if (block.dataset.optional !== undefined) continue;
    const el = block.querySelector('[data-input]');
    if (!el || !isEmpty(values[el.dataset.blockId]?.[el.dataset.actionId])) continue;
    missing = true;
    block.classList.add('has-error');
    block
      .querySelector('.bk-label')
      .insertAdjacentHTML(
        'afterend',
        '<div class="bk-error local" role="alert">Please complete this required field.</div>',
      );
  }
  if (missing) return;
  const submit = form.querySelector('[data-modal=submit]');
  if (submit) submit.disabled = true;
  try {
    await api('submit', { body: { viewId: form.dataset.viewId, values, user: page.user } });
  } catch (error) {
    toast(`Submit failed: ${error.message}`);
  } finally {
    if (submit) submit.disabled = false;
    await refresh();
  }
}

async function closeModal(form) {
  try {
    await api('close', { body: { viewId: form.dataset.viewId } });
  } catch (error) {
    toast(`Close failed: ${error.message}`);
  }
  await refresh();
}

// ---- interactions ----

function confirmDialog(confirm) {
  const dialog = $('#confirm');
  $('#confirm-title').textContent = confirm.title;
  $('#confirm-text').innerHTML = textObject(confirm.text, renderContext());
  $('#confirm-deny').textContent = confirm.deny;
  const ok = $('#confirm-ok');
  ok.textContent = confirm.confirm;
  ok.className = `bk-button ${confirm.style === 'danger' ? 'danger' : 'primary'}`;
  dialog.returnValue = '';
  dialog.showModal();
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'confirm'), { once: true });
  });
}

/** A click or a pick in a message or a modal becomes a real block_actions payload. */
async function sendAction(el, value) {
  const modal = el.closest('form.modal');
  const message = el.closest('[data-ts]');
  if (el.dataset.confirm && !(await confirmDialog(JSON.parse(el.dataset.confirm)))) {
    if (el.tagName === 'SELECT') el.value = '';
    return;
  }
  if (el.dataset.url) window.open(el.dataset.url, '_blank', 'noopener');
  const body = { user: page.user, actionId: el.dataset.actionId, blockId: el.dataset.blockId };
  if (value !== undefined) body.value = value;
  if (modal) body.viewId = modal.dataset.viewId;
  else body.messageTs = message.dataset.ts;
  el.disabled = true;
  try {
    await api('action', { body });
  } catch (error) {
    toast(`The click did not go through: ${error.message}`);
  } finally {
    el.disabled = false;
    if (el.classList.contains('bk-overflow')) el.value = '';
  }
}

document.addEventListener('click', (event) => {
  const target = event.target.closest('button');
  if (!target) return;
  if (target.dataset.dismiss) {
    event.preventDefault();
    api('dismiss', { body: { seq: Number(target.dataset.dismiss) } })
      .catch((error) => toast(`Could not dismiss: ${error.message}`))
      .finally(() => refresh());
    return;
  }
  if (target.dataset.thread) {
    const ts = target.dataset.thread;
    if (page.folded.has(ts)) page.folded.delete(ts);
    else page.folded.add(ts);
    renderTimeline();
    return;
  }
  if (target.dataset.modal) {
    event.preventDefault();
    const form = target.closest('form.modal');
    if (target.dataset.modal === 'submit') submitModal(form);
    else closeModal(form);
    return;
  }
  if (target.classList.contains('bk-button') && target.dataset.actionId) {
    sendAction(target, target.dataset.value);
  }
});

document.addEventListener('change', (event) => {
  const el = event.target;
  if (!el.dataset?.actionId || el.dataset.input !== undefined || el.value === '') return;
  sendAction(el, el.value);
});

document.addEventListener('submit', (event) => {
  const form = event.target.closest('form.modal');
  if (!form) return;
  event.preventDefault();
  submitModal(form);
});

document.addEventListener('keydown', (event) => {
  if (event.key !== 'Escape' || $('#confirm').open) return;
  const form = document.querySelector('#modal-layer form.modal');
  if (form) closeModal(form);
});

// ---- composer ----

let highlighted = 0;

/** Commands matching what is typed; once a whole command is typed, just its usage hint. */
function suggestions(text) {
  const word = text.split(/\s/)[0];
  if (!text.startsWith('/')) return { items: [], hint: undefined };
  if (/\s/.test(text) || page.commands.some((c) => c.command === text)) {
    const command = page.commands.find((c) => c.command === word);
    return { items: [], hint: command };
  }
  return { items: page.commands.filter((c) => c.command.startsWith(word)), hint: undefined };
}

function renderSuggestions() {
  const box = $('#suggestions');
  const input = $('#composer-input');
  const { items, hint } = suggestions(input.value);
  const line = (c, i) =>
    `<div class="suggestion${i === highlighted ? ' active' : ''}" role="option" data-command="${escapeHtml(c.command)}" aria-selected="${i === highlighted}"><span class="cmd">${escapeHtml(c.command)}</span> <span class="usage">${escapeHtml(c.usageHint)}</span><div class="desc">${escapeHtml(c.description)}</div></div>`;
  if (items.length > 0) {
    highlighted = Math.min(highlighted, items.length - 1);
    box.innerHTML = items.map(line).join('');
    box.hidden = false;
  } else if (hint) {
    box.innerHTML = `<div class="suggestion hint"><span class="cmd">${escapeHtml(hint.command)}</span> <span class="usage">${escapeHtml(hint.usageHint)}</span></div>`;
    box.hidden = false;
  } else {
    box.hidden = true;
    box.replaceChildren();
  }
}

function complete(command) {
  const input = $('#composer-input');
  input.value = `${command} `;
  input.focus();
  highlighted = 0;
  renderSuggestions();
}

async function send(text) {
  const status = $('#composer-status');
  page.history.push(text);
  status.textContent = `Sent ${text} as ${nameOf(page.user)}`;
  try {
    await api('command', { body: { text, user: page.user } });
  } catch (error) {
    toast(`${text}: ${error.message}`);
    status.textContent = '';
  }
}

function setupComposer() {
  const input = $('#composer-input');
  input.addEventListener('input', () => {
    highlighted = 0;
    renderSuggestions();
  });
  input.addEventListener('keydown', (event) => {
    const { items } = suggestions(input.value);
    if (event.key === 'ArrowUp' && input.value === '' && page.history.length > 0) {
      input.value = page.history.at(-1);
      renderSuggestions();
      event.preventDefault();
    } else if (items.length > 0 && (event.key === 'ArrowDown' || event.key === 'ArrowUp')) {
      highlighted = (highlighted + (event.key === 'ArrowDown' ? 1 : items.length - 1)) % items.length;
      renderSuggestions();
      event.preventDefault();
    } else if (items.length > 0 && (event.key === 'Tab' || event.key === 'Enter')) {
      complete(items[highlighted].command);
      event.preventDefault();
    } else if (event.key === 'Escape') {
      $('#suggestions').hidden = true;
    }
  });
  $('#suggestions').addEventListener('mousedown', (event) => {
    const item = event.target.closest('[data-command]');
    if (!item) return;
    event.preventDefault();
    complete(item.dataset.command);
  });
  $('#composer').addEventListener('submit', (event) => {
    event.preventDefault();
    const text = input.value.trim();
    if (text === '') return;
    if (!text.startsWith('/')) {
      toast('This console sends slash commands: start with /, e.g. /pipeline status', 'info');
      return;
    }
    input.value = '';
    renderSuggestions();
    send(text);
  });
}

// ---- users ----

function setUser(id) {
  page.user = id;
  localStorage.setItem('console.user', id);
  const url = new URL(location.href);
  url.searchParams.set('user', id);
  history.replaceState(null, '', url);
  for (const button of document.querySelectorAll('#users [data-user]')) {
    const active = button.dataset.user === id;
    button.classList.toggle('active', active);
    button.setAttribute('aria-checked', String(active));
  }
  const me = page.meta.users.find((u) => u.id === id);
  $('#composer-input').placeholder =
    `Message #${page.meta.channel.name} as ${me?.name ?? id}: type / for commands`;
  page.shownView = '';
  refresh();
}

function setupUsers() {
  $('#users').innerHTML = page.meta.users
    .map(
      (u) =>
        `<button type="button" role="radio" class="user" data-user="${escapeHtml(u.id)}"><span class="avatar small" aria-hidden="true">${escapeHtml(
          u.name.slice(0, 1),
        )}</span><span><span class="user-name">${escapeHtml(u.name)}</span><span class="user-role">${escapeHtml(u.role)}</span></span></button>`,
    )
    .join('');
  $('#users').addEventListener('click', (event) => {
    const button = event.target.closest('[data-user]');
    if (button) setUser(button.dataset.user);
  });
  const asked = new URL(location.href).searchParams.get('user') ?? localStorage.getItem('console.user');
  const known = page.meta.users.some((u) => u.id === asked);
  setUser(known ? asked : page.meta.users[0].id);
}

// ---- sandbox panel ----

async function refreshSandbox() {
  if ($('#sandbox').hidden) return;
  let s;
  try {
    s = await api('sandbox');
  } catch (error) {
    $('#counts').textContent = `sandbox unreachable: ${error.message}`;
    return;
  }
  const scenario = $('#scenario');
  if (scenario.options.length === 0) {
    scenario.innerHTML = s.scenarios.map((n) => `<option>${escapeHtml(n)}</option>`).join('');
    $('#fault-api').innerHTML = s.apis.map((n) => `<option>${escapeHtml(n)}</option>`).join('');
  }
  if (document.activeElement !== scenario) scenario.value = s.scenario;
  const faults = Object.entries(s.faults ?? {});
  $('#faults').innerHTML = faults.length
    ? faults
        .map(([api, f]) => {
          const parts = [
            f.latencyMs ? `+${f.latencyMs} ms` : '',
            f.status ? `HTTP ${f.status}` : '',
            f.hang ? 'hangs' : '',
            f.times ? `${f.times} more call(s)` : '',
          ].filter(Boolean);
          return `<li><b>${escapeHtml(api)}</b>: ${escapeHtml(parts.join(', '))}</li>`;
        })
        .join('')
    : '<li class="muted">no faults</li>';
  renderTimelinePanel(s.timeline);
  $('#call-count').textContent = `(${s.processorCallCount})`;
  $('#calls').innerHTML = s.processorCalls.length
    ? s.processorCalls
        .map(
          (c) =>
            `<li><span class="call-time">${escapeHtml(String(c.at).slice(11, 19))}</span> <b>${escapeHtml(c.service)}</b> <code>${escapeHtml(
              `${c.method} ${c.path}`,
            )}</code> → ${escapeHtml(String(c.status))}${c.authorized ? '' : ' <span class="bad">no token</span>'}<div class="call-body">${escapeHtml(
              JSON.stringify(c.body ?? ''),
            )}</div></li>`,
        )
        .join('')
    : '<li class="muted">none yet: a heal triggers the processors</li>';
  $('#counts').textContent = `Google API requests: ${Object.entries(s.counts ?? {})
    .map(([api, n]) => `${api} ${n}`)
    .join(' · ')}`;
}

const howText = { start: '', timer: 'by itself', step: 'stepped', mended: 'healed through the bot' };

/** A scenario that changes over time: its stages, the current one and when the next begins. */
function renderTimelinePanel(t) {
  const box = $('#timeline');
  box.hidden = !t;
  if (!t) return;
  box.dataset.stage = t.stage;
  $('#timeline-stages').innerHTML = t.stages
    .map((stage, i) => {
      const state = i < t.index ? 'done' : i === t.index ? 'current' : 'ahead';
      const how =
        i === t.index && howText[t.how] ? ` <span class="muted">(${escapeHtml(howText[t.how])})</span>` : '';
      const detail = i === t.index ? `<div class="stage-text">${escapeHtml(stage.description)}</div>` : '';
      return `<li class="stage ${state}"${i === t.index ? ' aria-current="step"' : ''}><b>${escapeHtml(stage.name)}</b>${how}${detail}</li>`;
    })
    .join('');
  $('#timeline-next').textContent = t.next
    ? t.next.inMs === null
      ? `Next: ${t.next.name}, when stepped.`
      : `Next: ${t.next.name}, by itself in ${Math.ceil(t.next.inMs / 1000)} s.`
    : 'Last stage: switch the scenario to start over.';
  $('#timeline-step').disabled = !t.next;
}

function setupSandbox() {
  const panel = $('#sandbox');
  const toggle = $('#toggle-sandbox');
  const show = (visible) => {
    panel.hidden = !visible;
    toggle.setAttribute('aria-expanded', String(visible));
    localStorage.setItem('console.sandbox', visible ? 'shown' : 'hidden');
    if (visible) refreshSandbox();
  };
  toggle.addEventListener('click', () => show(panel.hidden));
  show(localStorage.getItem('console.sandbox') !== 'hidden');
  $('#scenario').addEventListener('change', async (event) => {
    try {
      await api('sandbox/scenario', { body: { name: event.target.value } });
      toast(`Scenario ${event.target.value} loaded`, 'info');
    } catch (error) {
      toast(`Scenario switch failed: ${error.message}`);
    }
    refreshSandbox();
  });
  $('#fault-apply').addEventListener('click', async () => {
    const fault = {
      api: $('#fault-api').value,
      latencyMs: $('#fault-latency').value,
      status: $('#fault-status').value,
      times: $('#fault-times').value,
      hang: $('#fault-hang').checked,
    };
    try {
      await api('sandbox/faults', { body: fault });
    } catch (error) {
      toast(`Could not inject: ${error.message}`);
    }
    refreshSandbox();
  });
  $('#timeline-step').addEventListener('click', async (event) => {
    const button = event.currentTarget;
    button.disabled = true;
    try {
      const answer = await api('sandbox/timeline', { body: { to: 'next' } });
      toast(`Timeline: ${answer.timeline.stage}`, 'info');
    } catch (error) {
      toast(`Could not step the timeline: ${error.message}`);
    }
    refreshSandbox();
  });
  $('#fault-clear').addEventListener('click', async () => {
    try {
      await api('sandbox/faults', { method: 'DELETE' });
    } catch (error) {
      toast(`Could not clear: ${error.message}`);
    }
    refreshSandbox();
  });
  setInterval(refreshSandbox, 2000);
}

// ---- start ----

async function start() {
  page.meta = await api('meta');
  page.commands = (await api('commands')).commands;
  document.title = `#${page.meta.channel.name} · Pipeline Ops console`;
  $('#channel-name').textContent = page.meta.channel.name;
  $('#sidebar-channel').textContent = page.meta.channel.name;
  setupComposer();
  setupUsers();
  setupSandbox();
  connect();
  $('#composer-input').focus();
}

start().catch((error) => toast(`The console could not start: ${error.message}`));
