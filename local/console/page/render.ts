/*
 * Block Kit and mrkdwn to HTML, for the chat console page (bundled for the browser) and its tests (jest). Every
 * text is escaped: messages carry text from Flagger and from people. Only what this file writes is markup.
 */

export const escapeHtml = (text: string): string =>
  text
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');

/** Slack's three escapes, undone: `&lt;` typed by a person is a `<` to read, not markup. */
const unSlack = (text: string): string => text.replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');

const EMOJI: Record<string, string> = {
  white_check_mark: '✅',
  rotating_light: '🚨',
  rewind: '⏪',
  x: '❌',
  white_circle: '⚪',
  raising_hand: '🙋',
  no_entry_sign: '🚫',
  no_entry: '⛔',
  mag: '🔍',
  warning: '⚠️',
  red_circle: '🔴',
  hourglass: '⌛',
  fast_forward: '⏩',
  double_vertical_bar: '⏸️',
  tada: '🎉',
  large_green_circle: '🟢',
  large_blue_circle: '🔵',
  information_source: 'ℹ️',
  hourglass_flowing_sand: '⏳',
  grey_question: '❔',
  clipboard: '📋',
  arrow_forward: '▶️',
};

/** One `<…>` token of Slack's: a mention, a date, a link; anything else is shown as the text it is. */
function token(inner: string): string {
  const user = /^@([UW][A-Z0-9]+)$/.exec(inner);
  if (user) return `<span class="mention">@${escapeHtml(user[1] ?? '')}</span>`;
  const group = /^!subteam\^(S[A-Z0-9]+)(?:\|[\s\S]*)?$/.exec(inner);
  if (group) return `<span class="mention">@${escapeHtml(group[1] ?? '')}</span>`;
  const channel = /^#([CGD][A-Z0-9]+)(?:\|[\s\S]*)?$/.exec(inner);
  if (channel) return `<span class="mention">#${escapeHtml(channel[1] ?? '')}</span>`;
  const broadcast = /^!(channel|here|everyone)$/.exec(inner);
  if (broadcast) return `<span class="mention broadcast">@${broadcast[1]}</span>`;
  const date = /^!date\^(-?\d+)\^[^|]*\|([\s\S]*)$/.exec(inner);
  if (date) return `<time>${escapeHtml(unSlack(date[2] ?? ''))}</time>`;
  const link = /^(https?:\/\/[^|]+)(?:\|([\s\S]*))?$/.exec(inner);
  if (link) {
    const href = unSlack(link[1] ?? '');
    return `<a href="${escapeHtml(href)}" rel="noopener noreferrer" target="_blank">${escapeHtml(unSlack(link[2] ?? href))}</a>`;
  }
  return escapeHtml(`<${unSlack(inner)}>`);
}

/** Slack's mrkdwn as HTML: tokens, code, bold, italics, strikes, quotes, emoji codes, line breaks. */
export function mrkdwn(text: string): string {
  const kept: string[] = [];
  const keep = (html: string) => `\uE000${kept.push(html) - 1}\uE000`;
  // A private-use character marks the placeholders below; a text cannot bring its own.
  let out = text
    .replace(/\uE000/g, '')
    // Markup the bot wrote is never split by another rule: placeholders, filled in at the end.
    .replace(/```([\s\S]*?)```/g, (_, body: string) => keep(`<pre>${escapeHtml(unSlack(body))}</pre>`))
    .replace(/`([^`\n]+)`/g, (_, body: string) => keep(`<code>${escapeHtml(unSlack(body))}</code>`))
    // A token never spans a code placeholder: `<` `x` `>` around a code span are text.
    .replace(/<([^<>\n\uE000]+)>/g, (_, inner: string) => keep(token(inner)));
  out = escapeHtml(unSlack(out))
    .replace(/(^|[\s(>])\*([^*\n]+)\*(?=$|[\s).,:;!?])/gm, '$1<b>$2</b>')
    .replace(/(^|[\s(>])_([^_\n]+)_(?=$|[\s).,:;!?])/gm, '$1<i>$2</i>')
    .replace(/(^|[\s(>])~([^~\n]+)~(?=$|[\s).,:;!?])/gm, '$1<s>$2</s>')
    .replace(/^&gt; ?(.*)$/gm, '<blockquote>$1</blockquote>')
    .replace(/:([a-z0-9_+-]+):/g, (whole, name: string) => EMOJI[name] ?? whole)
    .replace(/\n/g, '<br>');
  return out.replace(/\uE000(\d+)\uE000/g, (_, i: string) => kept[Number(i)] ?? '');
}

interface TextObject {
  type?: string;
  text?: string;
}

const textOf = (t: TextObject | undefined): string =>
  !t ? '' : t.type === 'mrkdwn' ? mrkdwn(t.text ?? '') : escapeHtml(t.text ?? '').replace(/\n/g, '<br>');

interface Element {
  type?: string;
  action_id?: string;
  value?: string;
  style?: string;
  text?: TextObject | string;
  image_url?: string;
  alt_text?: string;
  multiline?: boolean;
  placeholder?: TextObject;
  max_length?: number;
  confirm?: unknown;
}

interface Confirm {
  title?: TextObject;
  text?: TextObject;
}

/** A button; one with a `confirm` object asks first, as Slack does (the page shows its question). */
function button(e: Element): string {
  const style = e.style === 'primary' || e.style === 'danger' ? ` ${e.style}` : '';
  const confirm = e.confirm as Confirm | undefined;
  const ask = confirm
    ? ` data-confirm="${escapeHtml(`${confirm.title?.text ?? 'Are you sure?'}\n${confirm.text?.text ?? ''}`)}"`
    : '';
  return `<button class="block-button${style}" data-action-id="${escapeHtml(e.action_id ?? '')}" data-value="${escapeHtml(e.value ?? '')}"${ask}>${textOf(e.text as TextObject)}</button>`;
}

function element(e: Element): string {
  switch (e.type) {
    case 'button':
      return button(e);
    case 'mrkdwn':
    case 'plain_text':
      return `<span>${textOf(e as TextObject)}</span>`;
    case 'image':
      return image(e.image_url, e.alt_text);
    default:
      return unknown(e);
  }
}

/** Only images the console itself serves (uploaded files) or data URLs: the page's CSP blocks the rest anyway. */
function image(url: string | undefined, alt: string | undefined): string {
  const safe = url && (url.startsWith('/console/files/') || url.startsWith('data:image/png;base64,'));
  return safe
    ? `<img src="${escapeHtml(url)}" alt="${escapeHtml(alt ?? '')}">`
    : `<span class="missing">[image: ${escapeHtml(alt ?? '')}]</span>`;
}

const unknown = (value: unknown): string =>
  `<pre class="unknown" title="not rendered by the console">${escapeHtml(JSON.stringify(value, null, 2))}</pre>`;

interface Block {
  type?: string;
  block_id?: string;
  text?: TextObject;
  fields?: TextObject[];
  accessory?: Element;
  elements?: Element[];
  label?: TextObject;
  element?: Element;
  image_url?: string;
  alt_text?: string;
  title?: TextObject;
}

/** One Block Kit block; a type the console does not know is shown as its JSON, never dropped. */
export function block(b: Block, errors: Record<string, string> = {}): string {
  switch (b.type) {
    case 'section': {
      const fields = b.fields?.length
        ? `<div class="fields">${b.fields.map((f) => `<div>${textOf(f)}</div>`).join('')}</div>`
        : '';
      const accessory = b.accessory ? `<div class="accessory">${element(b.accessory)}</div>` : '';
      return `<div class="block section"><div class="body">${textOf(b.text)}${fields}</div>${accessory}</div>`;
    }
    case 'context':
      return `<div class="block context">${(b.elements ?? []).map(element).join(' ')}</div>`;
    case 'actions':
      return `<div class="block actions">${(b.elements ?? []).map(element).join('')}</div>`;
    case 'divider':
      return '<hr class="block divider">';
    case 'header':
      return `<h3 class="block header">${textOf(b.text)}</h3>`;
    case 'image':
      return `<div class="block image">${image(b.image_url, b.alt_text)}</div>`;
    case 'input': {
      const id = b.block_id ?? '';
      const e = b.element ?? {};
      const error = errors[id] ? `<div class="error">${mrkdwn(errors[id] ?? '')}</div>` : '';
      const max = e.max_length ? ` maxlength="${Number(e.max_length)}"` : '';
      const field =
        e.type === 'plain_text_input'
          ? `<textarea name="${escapeHtml(id)}" rows="${e.multiline ? 4 : 1}"${max}></textarea>`
          : unknown(e);
      return `<label class="block input"><span>${textOf(b.label)}</span>${field}${error}</label>`;
    }
    default:
      return unknown(b);
  }
}

export interface RenderedFile {
  id: string;
  title: string;
  altText: string;
}

export interface RenderedMessage {
  ts: string;
  text: string;
  blocks?: unknown[];
  files?: RenderedFile[];
  onlyFor?: string;
  edits: number;
}

/** A message as Slack shows it: its blocks, or its text when it has none, its files, and who alone sees it. */
export function message(m: RenderedMessage, fileUrl: (id: string) => string): string {
  const body = m.blocks?.length
    ? (m.blocks as Block[]).map((b) => block(b)).join('')
    : `<div class="text">${mrkdwn(m.text)}</div>`;
  const files = (m.files ?? [])
    .map((f) => `<figure>${image(fileUrl(f.id), f.altText)}<figcaption>${escapeHtml(f.title)}</figcaption></figure>`)
    .join('');
  const when = new Date(Number(m.ts.split('.')[0]) * 1000).toISOString().slice(11, 19);
  const only = m.onlyFor ? `<span class="only">Only visible to @${escapeHtml(m.onlyFor)}</span>` : '';
  const edited = m.edits ? ' <span class="edited">(edited)</span>' : '';
  return `<article class="message${m.onlyFor ? ' ephemeral' : ''}" data-ts="${escapeHtml(m.ts)}"><header><b>release-bot</b> <time>${when} UTC</time>${edited} ${only}</header>${body}${files}</article>`;
}

export interface RenderedView {
  id: string;
  view: { title?: TextObject; submit?: TextObject; close?: TextObject; blocks?: unknown[] };
  errors?: Record<string, string>;
}

/** A dialog: its blocks, with the bot's errors under their inputs, and its submit and close buttons. */
export function modal(v: RenderedView): string {
  const blocks = (v.view.blocks ?? []).map((b) => block(b as Block, v.errors ?? {})).join('');
  const submit = v.view.submit ? `<button type="submit" class="primary">${textOf(v.view.submit)}</button>` : '';
  return `<form class="modal" data-view-id="${escapeHtml(v.id)}"><h2>${textOf(v.view.title)}</h2>${blocks}<footer><button type="button" class="close">${textOf(v.view.close ?? { type: 'plain_text', text: 'Close' })}</button>${submit}</footer></form>`;
}
