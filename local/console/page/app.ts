/*
 * The chat console page: the workspace as the bot left it, kept current by server-sent events; clicks, commands and
 * dialogs go back as acts, which the server signs and sends to the bot as Slack would. Every HTML string comes from
 * ./render.ts, which escapes all text.
 */
import type {
  ConsoleChange as Change,
  FlaggerCall,
  ConsoleMessage as Message,
  ConsoleState as State,
  ConsoleView as View,
} from './protocol';
import { message, modal, type RenderedView } from './render';

const token = document.querySelector<HTMLMetaElement>('meta[name="console-token"]')?.content ?? '';
const $ = <T extends HTMLElement>(id: string) => document.getElementById(id) as T;
const messages = new Map<string, Message>();
const views = new Map<string, View>();
const flagger: FlaggerCall[] = [];
let channels: string[] = [];
let current = '';

const fileUrl = (id: string) => `/console/files/${encodeURIComponent(id)}?token=${encodeURIComponent(token)}`;
const actingAs = (): string => $<HTMLInputElement>('typed-user').value.trim() || $<HTMLSelectElement>('user').value;
const escapeText = (text: string) => {
  const span = document.createElement('span');
  span.textContent = text;
  return span.innerHTML;
};

async function act(body: Record<string, unknown>): Promise<void> {
  const response = await fetch('/console/act', {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-console-token': token },
    body: JSON.stringify(body),
  });
  const answer = response.headers.get('content-type')?.startsWith('application/json')
    ? ((await response.json()) as { status: number; said: string })
    : { status: response.status, said: await response.text() };
  $('said').textContent =
    `${body.kind} as ${String(body.user)}: the bot answered HTTP ${answer.status}${answer.said ? ` · ${answer.said.slice(0, 300)}` : ''}`;
}

function renderChannels(): void {
  const seen = new Set([...channels, ...[...messages.values()].map((m) => m.channel)]);
  if (!current) current = [...seen][0] ?? '';
  $('channels').innerHTML = [...seen]
    .map(
      (c) =>
        `<button data-channel="${escapeText(c)}" class="${c === current ? 'current' : ''}"># ${escapeText(c)}</button>`,
    )
    .join('');
}

function renderMessages(): void {
  const inChannel = [...messages.values()].filter((m) => m.channel === current);
  const replies = new Map<string, Message[]>();
  for (const m of inChannel) if (m.threadTs) replies.set(m.threadTs, [...(replies.get(m.threadTs) ?? []), m]);
  const list = $('messages');
  const atBottom = list.scrollHeight - list.scrollTop - list.clientHeight < 40;
  list.innerHTML = inChannel
    .filter((m) => !m.threadTs || !messages.has(`${m.channel} ${m.threadTs}`))
    .map((m) => {
      const thread = replies.get(m.ts) ?? [];
      const shown = thread.length ? `<div class="thread">${thread.map((r) => message(r, fileUrl)).join('')}</div>` : '';
      return message(m, fileUrl) + shown;
    })
    .join('');
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function renderModal(): void {
  const open = views.get(actingAs());
  $('modal').innerHTML = open ? modal(open as RenderedView) : '';
}

function renderFlagger(): void {
  const rows = $('flagger').querySelector('tbody');
  if (!rows) return;
  rows.innerHTML = flagger
    .slice()
    .reverse()
    .map(
      (c) =>
        `<tr><td>${escapeText(c.at.slice(11, 19))}</td><td>${escapeText(c.hook)}</td><td>${escapeText(c.canary)}<br><small>${escapeText(c.phase)}</small></td><td class="${c.status === 200 ? 'open' : 'closed'}">${c.status}</td></tr><tr><td colspan="4"><small>${escapeText(c.answer)}</small></td></tr>`,
    )
    .join('');
}

function apply(change: Change): void {
  if (change.kind === 'message') {
    messages.set(`${change.message.channel} ${change.message.ts}`, change.message);
    renderChannels();
    if (change.message.channel === current) renderMessages();
  } else if (change.kind === 'view') {
    if (change.view) views.set(change.user, change.view);
    else views.delete(change.user);
    renderModal();
  } else {
    flagger.push(change.call);
    if (flagger.length > 200) flagger.shift();
    renderFlagger();
  }
}

async function load(): Promise<void> {
  const response = await fetch(`/console/state?token=${encodeURIComponent(token)}`);
  const state = (await response.json()) as State;
  channels = state.channels;
  messages.clear();
  for (const m of state.messages) messages.set(`${m.channel} ${m.ts}`, m);
  views.clear();
  for (const v of state.views) views.set(v.user, v);
  flagger.splice(0, flagger.length, ...state.flagger);
  const picker = $<HTMLSelectElement>('user');
  const chosen = picker.value;
  picker.innerHTML = state.users
    .map((u) => `<option value="${escapeText(u.id)}">${escapeText(u.label)}</option>`)
    .join('');
  if (chosen) picker.value = chosen;
  renderChannels();
  renderMessages();
  renderModal();
  renderFlagger();
}

function listen(): void {
  const events = new EventSource(`/console/events?token=${encodeURIComponent(token)}`);
  // Reloading the whole state on (re)connect: nothing a change said while disconnected is missed.
  events.onopen = () => {
    $('connection').textContent = 'live';
    void load();
  };
  events.onmessage = (event) => apply(JSON.parse(event.data) as Change);
  events.onerror = () => {
    $('connection').textContent = 'reconnecting…';
  };
}

document.addEventListener('click', (event) => {
  const target = event.target as HTMLElement;
  const channel = target.closest<HTMLElement>('[data-channel]');
  if (channel) {
    current = channel.dataset.channel ?? '';
    renderChannels();
    renderMessages();
    return;
  }
  const button = target.closest<HTMLButtonElement>('button.block-button');
  const article = button?.closest<HTMLElement>('article.message');
  if (button && article) {
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) return;
    void act({
      kind: 'click',
      user: actingAs(),
      channel: current,
      ts: article.dataset.ts,
      actionId: button.dataset.actionId,
      value: button.dataset.value,
    });
    return;
  }
  if (target.closest('.modal button.close')) void act({ kind: 'close', user: actingAs() });
});

document.addEventListener('submit', (event) => {
  event.preventDefault();
  const form = event.target as HTMLFormElement;
  if (form.id === 'command') {
    const input = $<HTMLInputElement>('command-text');
    const typed = input.value.trim();
    const text = typed.replace(/^\/canary\b\s*/, '');
    if (!typed) return;
    void act({ kind: 'command', user: actingAs(), channel: current, text }).then(() => {
      input.value = '';
    });
    return;
  }
  const viewId = form.dataset.viewId;
  if (!viewId) return;
  const values: Record<string, string> = {};
  for (const field of form.querySelectorAll<HTMLTextAreaElement>('textarea[name]')) values[field.name] = field.value;
  void act({ kind: 'submit', user: actingAs(), viewId, values });
});

$('user').addEventListener('change', renderModal);
$('typed-user').addEventListener('input', renderModal);
listen();
