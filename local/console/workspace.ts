import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import type { ConsoleChange, ConsoleFile, ConsoleMessage, ConsoleView, FlaggerCall } from './page/protocol';

/**
 * The chat console's stand-in for a Slack workspace: what the bot posted, edited, uploaded and opened, kept in
 * memory as Slack would show it. The bot writes here through the Web API (./web-api.ts, the same WebClient calls as
 * against Slack); the page reads it and hears of every change. Everything is bounded: the oldest messages and
 * files go first, as a busy channel scrolls them away.
 */

export type { ConsoleChange, ConsoleFile, ConsoleMessage, ConsoleView, FlaggerCall } from './page/protocol';

export interface WorkspaceLimits {
  messages: number;
  fileBytes: number;
  flaggerCalls: number;
}

export const LIMITS: WorkspaceLimits = { messages: 1000, fileBytes: 32 * 1024 * 1024, flaggerCalls: 200 };

const TRIGGER_LIFETIME_MS = 10_000;
const MAX_TRIGGERS = 100;
const MAX_VIEWS = 100;

export class Workspace {
  /** `channel ts` -> message, oldest first (a Map keeps insertion order). */
  private readonly messages = new Map<string, ConsoleMessage>();
  private readonly files = new Map<string, { file: ConsoleFile; content: Buffer }>();
  private fileBytes = 0;
  /** Open dialogs: one per user, as in Slack's client. */
  private readonly views = new Map<string, ConsoleView>();
  private readonly triggers = new Map<string, { user: string; at: number }>();
  private readonly flagger: FlaggerCall[] = [];
  private readonly changes = new EventEmitter();
  private counter = 0;

  constructor(
    private readonly limits: WorkspaceLimits = LIMITS,
    private readonly now: () => number = Date.now,
  ) {
    // Every open page listens; the console caps how many pages may.
    this.changes.setMaxListeners(0);
  }

  /** Slack's message timestamps: seconds, then a counter, unique in this workspace. */
  private nextTs(): string {
    return `${Math.floor(this.now() / 1000)}.${String(++this.counter).padStart(6, '0')}`;
  }

  post(message: Omit<ConsoleMessage, 'ts' | 'edits'>): ConsoleMessage {
    const stored: ConsoleMessage = { ...message, ts: this.nextTs(), edits: 0 };
    this.messages.set(key(stored.channel, stored.ts), stored);
    while (this.messages.size > this.limits.messages) {
      const oldest = this.messages.keys().next().value;
      if (oldest === undefined) break;
      this.messages.delete(oldest);
    }
    this.emit({ kind: 'message', message: stored });
    return stored;
  }

  /** False when there is no such message (Slack's `message_not_found`). */
  update(channel: string, ts: string, change: { text: string; blocks?: unknown[] }): boolean {
    const found = this.messages.get(key(channel, ts));
    if (!found || found.onlyFor) return false;
    const updated: ConsoleMessage = { ...found, text: change.text, edits: found.edits + 1 };
    if (change.blocks) updated.blocks = change.blocks;
    else delete updated.blocks;
    this.messages.set(key(channel, ts), updated);
    this.emit({ kind: 'message', message: updated });
    return true;
  }

  message(channel: string, ts: string): ConsoleMessage | undefined {
    return this.messages.get(key(channel, ts));
  }

  addFile(file: Omit<ConsoleFile, 'id' | 'bytes'>, content: Buffer): ConsoleFile {
    const stored: ConsoleFile = {
      ...file,
      id: `F${randomBytes(5).toString('hex').toUpperCase()}`,
      bytes: content.length,
    };
    this.files.set(stored.id, { file: stored, content });
    this.fileBytes += content.length;
    while (this.fileBytes > this.limits.fileBytes && this.files.size > 1) {
      const [oldest, entry] = this.files.entries().next().value ?? [];
      if (!oldest || !entry) break;
      this.files.delete(oldest);
      this.fileBytes -= entry.content.length;
    }
    return stored;
  }

  fileContent(id: string): Buffer | undefined {
    return this.files.get(id)?.content;
  }

  /** A trigger ID for a click or a command: views.open accepts it for a few seconds, once. */
  newTrigger(user: string): string {
    const id = `${++this.counter}.${Math.floor(this.now() / 1000)}.${randomBytes(8).toString('hex')}`;
    this.triggers.set(id, { user, at: this.now() });
    if (this.triggers.size > MAX_TRIGGERS) this.triggers.delete(this.triggers.keys().next().value ?? '');
    return id;
  }

  /** The dialog opens for the person whose click or command made the trigger; undefined: expired or unknown. */
  openView(triggerId: string, view: Record<string, unknown>): ConsoleView | undefined {
    const trigger = this.triggers.get(triggerId);
    this.triggers.delete(triggerId);
    if (!trigger || this.now() - trigger.at > TRIGGER_LIFETIME_MS) return undefined;
    const opened: ConsoleView = { id: `V${randomBytes(5).toString('hex').toUpperCase()}`, user: trigger.user, view };
    this.views.delete(trigger.user);
    this.views.set(trigger.user, opened);
    if (this.views.size > MAX_VIEWS) this.views.delete(this.views.keys().next().value ?? '');
    this.emit({ kind: 'view', user: trigger.user, view: opened });
    return opened;
  }

  viewById(id: string): ConsoleView | undefined {
    return [...this.views.values()].find((v) => v.id === id);
  }

  /** What the bot answered a submission: replace the dialog, show errors in it, or close it. */
  answerView(id: string, answer: { view?: Record<string, unknown>; errors?: Record<string, string> } | 'close'): void {
    const open = this.viewById(id);
    if (!open) return;
    if (answer === 'close') {
      this.views.delete(open.user);
      this.emit({ kind: 'view', user: open.user, view: null });
      return;
    }
    const next: ConsoleView = { id: open.id, user: open.user, view: answer.view ?? open.view };
    if (answer.errors) next.errors = answer.errors;
    this.views.set(open.user, next);
    this.emit({ kind: 'view', user: open.user, view: next });
  }

  closeView(user: string): void {
    const open = this.views.get(user);
    if (open) this.answerView(open.id, 'close');
  }

  recordFlagger(call: FlaggerCall): void {
    this.flagger.push(call);
    if (this.flagger.length > this.limits.flaggerCalls) this.flagger.shift();
    this.emit({ kind: 'flagger', call });
  }

  /** Everything the page shows, for a page that just opened. */
  snapshot(): { messages: ConsoleMessage[]; views: ConsoleView[]; flagger: FlaggerCall[] } {
    return { messages: [...this.messages.values()], views: [...this.views.values()], flagger: [...this.flagger] };
  }

  onChange(listener: (change: ConsoleChange) => void): () => void {
    this.changes.on('change', listener);
    return () => this.changes.off('change', listener);
  }

  private emit(change: ConsoleChange): void {
    this.changes.emit('change', change);
  }
}

const key = (channel: string, ts: string) => `${channel} ${ts}`;
