/*
 * What the console server and its page say to each other: the workspace's messages, dialogs and Flagger calls
 * (GET /console/state) and their changes (GET /console/events). Types only, so the browser bundle and the server
 * share them without Node's modules.
 */

export interface ConsoleFile {
  id: string;
  filename: string;
  title: string;
  altText: string;
  bytes: number;
}

export interface ConsoleMessage {
  channel: string;
  ts: string;
  threadTs?: string;
  text: string;
  blocks?: unknown[];
  files?: ConsoleFile[];
  /** An ephemeral message, seen only by this user. */
  onlyFor?: string;
  /** How many times the bot edited it. */
  edits: number;
}

export interface ConsoleView {
  id: string;
  user: string;
  view: Record<string, unknown>;
  /** What the bot answered the last submission with, per input block ("errors"). */
  errors?: Record<string, string>;
}

/** What a Flagger webhook was answered, as the server's tap saw it. */
export interface FlaggerCall {
  at: string;
  hook: string;
  canary: string;
  phase: string;
  status: number;
  answer: string;
}

export type ConsoleChange =
  | { kind: 'message'; message: ConsoleMessage }
  | { kind: 'view'; user: string; view: ConsoleView | null }
  | { kind: 'flagger'; call: FlaggerCall };

/** GET /console/state: everything a page that just opened shows. */
export interface ConsoleState {
  messages: ConsoleMessage[];
  views: ConsoleView[];
  flagger: FlaggerCall[];
  /** Who the page offers to act as. */
  users: { id: string; label: string }[];
  channels: string[];
}
