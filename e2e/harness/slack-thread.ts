import { ACTIONS } from '../../shared/slack/blocks';
import type { FakeSlack, SlackCall } from '../../testkit/fake-slack';

/**
 * Reading the fake Slack as a person reads the channel: each release's thread (the status message, edited in place,
 * and its replies with their edits), the approval requests in it, the ephemeral answers, and Block Kit as text.
 */

/** A thread in the fake Slack: the status message (edited in place) and its replies, each with its edits. */
export interface Thread {
  root: SlackCall;
  /** the root's edits, oldest first */
  updates: SlackCall[];
  replies: { post: SlackCall; updates: SlackCall[] }[];
}

export interface ThreadText {
  status: string;
  replies: string[];
}

/** Each release's thread, in the order they were started. */
export function threadsOf(slack: FakeSlack): Thread[] {
  const posts = slack.called('chat.postMessage');
  const updates = slack.called('chat.update');
  const editsOf = (call: SlackCall) => updates.filter((u) => u.args.ts === call.result.ts);
  return posts
    .filter((p) => !p.args.thread_ts)
    .map((root) => ({
      root,
      updates: editsOf(root),
      replies: posts
        .filter((p) => p.args.thread_ts === root.result.ts)
        .map((post) => ({ post, updates: editsOf(post) })),
    }));
}

/**
 * The thread of release #n, found by its status message (`<namespace>/<name> release #n: ...`); with several
 * services in one Slack, `service` (`namespace/name`) says whose.
 */
export function threadOf(slack: FakeSlack, release: number, service?: string): Thread | undefined {
  const label = `${service ? `${service} ` : ''}release #${release}:`;
  return threadsOf(slack).find((t) => {
    const text = String(t.root.args.text);
    return service ? text.startsWith(label) : text.includes(label);
  });
}

/** The status message's text as it reads now, and the replies' texts as posted. */
export function threadTextOf(slack: FakeSlack, release: number, service?: string): ThreadText {
  const t = threadOf(slack, release, service);
  if (!t) return { status: '', replies: [] };
  return {
    status: String((t.updates.at(-1) ?? t.root).args.text),
    replies: t.replies.map((r) => String(r.post.args.text)),
  };
}

/** Each reply of release #n's thread as it reads now (its last edit), blocks included, as a reader sees it. */
export function threadReadingOf(slack: FakeSlack, release: number): string[] {
  return (threadOf(slack, release)?.replies ?? []).map((r) => readable(r.updates.at(-1) ?? r.post));
}

/**
 * Approval requests posted so far (thread replies carrying an Approve button), oldest first; with `service`, only
 * those in that service's threads.
 */
export function requestsOf(slack: FakeSlack, service?: string): SlackCall[] {
  const threads = service
    ? new Set(
        threadsOf(slack)
          .filter((t) => String(t.root.args.text).startsWith(`${service} release #`))
          .map((t) => t.root.result.ts),
      )
    : undefined;
  return slack
    .called('chat.postMessage')
    .filter(
      (p) =>
        p.args.thread_ts &&
        buttonsOf(p).includes(ACTIONS.approve) &&
        (!threads || threads.has(p.args.thread_ts as string | undefined)),
    );
}

/** Ephemeral messages the bot showed to `user`, oldest first. */
export function toldTo(slack: FakeSlack, user: string): string[] {
  return slack
    .called('chat.postEphemeral')
    .filter((c) => c.args.user === user)
    .map((c) => String(c.args.text));
}

/** The action IDs of a message's buttons. */
export function buttonsOf(call: SlackCall): string[] {
  const blocks = (call.args.blocks ?? []) as { elements?: { action_id?: string }[] }[];
  return blocks.flatMap((b) => b.elements ?? []).flatMap((e) => (e.action_id ? [e.action_id] : []));
}

/** The value of `action`'s button in one message (an approval request). */
export function buttonOf(call: SlackCall, action: string): string {
  const blocks = (call.args.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[];
  const value = blocks.flatMap((b) => b.elements ?? []).find((e) => e.action_id === action)?.value;
  if (!value) throw new Error(`no ${action} button in ${String(call.args.text)}`);
  return value;
}

/** Slack markup as a person reads it: <@U1> -> @U1, <!date^...|fallback> -> fallback, <url|label> -> label. */
export function plainText(mrkdwn: string): string {
  return mrkdwn
    .replace(/<@([A-Z0-9]+)(\|[^>]*)?>/g, '@$1')
    .replace(/<!subteam\^([A-Z0-9]+)(\|([^>]*))?>/g, (_m, id: string, _l, label?: string) => label ?? `@${id}`)
    .replace(/<!date\^[^|>]*\|([^>]*)>/g, '$1')
    .replace(/<!(here|channel|everyone)>/g, '@$1')
    .replace(/<#([A-Z0-9]+)(\|([^>]*))?>/g, (_m, id: string, _l, label?: string) => `#${label ?? id}`)
    .replace(/<([^>|]+)\|([^>]+)>/g, '$2')
    .replace(/<([^>]+)>/g, '$1')
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');
}

/** A message's Block Kit as a reader sees it (sections, context lines, buttons), or its text without blocks. */
export function readable(call: SlackCall): string {
  const blocks = (call.args.blocks ?? []) as {
    type: string;
    text?: { text?: string };
    elements?: { type?: string; text?: string | { text?: string } }[];
    fields?: { text?: string }[];
  }[];
  if (!blocks.length) return plainText(String(call.args.text ?? ''));
  const lines = blocks.flatMap((b) => {
    switch (b.type) {
      case 'section':
        return [b.text?.text ?? '', ...(b.fields ?? []).map((f) => f.text ?? '')].filter(Boolean);
      case 'context':
        return [(b.elements ?? []).map((e) => (typeof e.text === 'string' ? e.text : '')).join(' · ')];
      case 'actions':
        return [(b.elements ?? []).map((e) => `[${typeof e.text === 'object' ? e.text?.text : ''}]`).join(' ')];
      case 'image':
        return ['[image]'];
      default:
        return [];
    }
  });
  return plainText(lines.join('\n'));
}

/** The fake Slack records no times: stamps each call as it is recorded (ms since the epoch). */
export function stampCalls(slack: FakeSlack): WeakMap<SlackCall, number> {
  const stamps = new WeakMap<SlackCall, number>();
  const calls = slack.calls;
  const push = calls.push.bind(calls);
  calls.push = (...items: SlackCall[]) => {
    const now = Date.now();
    for (const item of items) stamps.set(item, now);
    return push(...items);
  };
  return stamps;
}
