import { ErrorCode, LogLevel, WebClient } from '@slack/web-api';
import type { Chat, ChatFile, ChatMessage, Directory, Membership } from '../ports/chat';

/**
 * The Web API client the bot posts with. The WebClient's default retries for about 30 minutes, which would hold a
 * service's whole FIFO group (and a Lambda worker past its timeout) during a Slack outage; three quick retries, then
 * the job fails and its queue retries it later (SQS redelivery, the local outbox's backoff and dead letters).
 */
export function slackClient(token: string, apiUrl?: string): WebClient {
  return new WebClient(token, {
    ...(apiUrl ? { slackApiUrl: apiUrl } : {}),
    retryConfig: { retries: 3, factor: 2, minTimeout: 250, maxTimeout: 2000 },
    timeout: 10_000,
    logLevel: LogLevel.ERROR,
  });
}

export class SlackChat implements Chat {
  constructor(private readonly client: WebClient) {}

  async post(channel: string, message: ChatMessage, thread?: { ts: string; broadcast?: boolean }) {
    const base = { channel, text: message.text, blocks: message.blocks as never, unfurl_links: false };
    const result = await this.client.chat.postMessage(
      thread ? { ...base, thread_ts: thread.ts, reply_broadcast: thread.broadcast ?? false } : base,
    );
    return { channel: result.channel ?? channel, ts: result.ts ?? '' };
  }

  async update(channel: string, ts: string, message: ChatMessage): Promise<void> {
    await this.client.chat.update({ channel, ts, text: message.text, blocks: (message.blocks ?? []) as never });
  }

  async postEphemeral(channel: string, user: string, message: ChatMessage): Promise<void> {
    await this.client.chat.postEphemeral({ channel, user, text: message.text, blocks: message.blocks as never });
  }

  /** files.uploadV2: asks for an upload URL, POSTs the bytes there, then shares the file in the channel or thread. */
  async upload(channel: string, file: ChatFile, thread?: { ts: string }): Promise<void> {
    const base = {
      channel_id: channel,
      file: file.content,
      filename: file.filename,
      title: file.title,
      alt_text: file.altText,
    };
    await this.client.files.uploadV2(thread ? { ...base, thread_ts: thread.ts } : base);
  }
}

export interface DirectoryOptions {
  /** How long a membership is used without asking Slack again: a change takes effect within this time. */
  ttlMs?: number;
  /** The most one lookup may take: an approval is answered inside Slack's 3 s even when Slack's directory hangs. */
  timeoutMs?: number;
  /** How many groups' last known memberships are kept for when Slack does not answer. */
  maxGroups?: number;
  now?: () => number;
}

interface Known {
  members: Set<string>;
  at: number;
}

type Lookup = { members: Set<string> } | { failure: string };

/**
 * User-group membership from Slack. A lookup is bounded and never retried (the WebClient retries by default, for up
 * to half an hour): when Slack is slow or failing, the last known membership of that group is used, however old,
 * and the answer carries a caveat saying so. A group never seen counts as no membership, with a caveat too.
 */
export class SlackDirectory implements Directory {
  private readonly known = new Map<string, Known>();
  private readonly inflight = new Map<string, Promise<Lookup>>();
  private readonly client: WebClient;
  private readonly ttlMs: number;
  private readonly timeoutMs: number;
  private readonly maxGroups: number;
  private readonly now: () => number;

  constructor(client: WebClient, options: DirectoryOptions = {}) {
    this.ttlMs = options.ttlMs ?? 60_000;
    this.timeoutMs = options.timeoutMs ?? 1000;
    this.maxGroups = options.maxGroups ?? 500;
    this.now = options.now ?? (() => Date.now());
    // Its own client: no retries, a timeout, and a rate limit fails this lookup instead of pausing the shared
    // client's queue (and with it every message the bot posts).
    this.client = new WebClient(client.token, {
      slackApiUrl: client.slackApiUrl,
      retryConfig: { retries: 0 },
      timeout: this.timeoutMs,
      rejectRateLimitedCalls: true,
      logLevel: LogLevel.ERROR,
    });
  }

  async groupsOf(user: string, groups: readonly string[]): Promise<Membership> {
    const answers = await Promise.all(groups.map(async (group) => ({ group, ...(await this.membersOf(group)) })));
    const caveats = answers.flatMap((a) => (a.caveat ? [a.caveat] : []));
    return {
      groups: answers.filter((a) => a.members.has(user)).map((a) => a.group),
      ...(caveats.length ? { caveat: `${caveats.join('; ')}.` } : {}),
    };
  }

  private async membersOf(group: string): Promise<{ members: Set<string>; caveat?: string }> {
    const known = this.known.get(group);
    if (known && this.now() - known.at < this.ttlMs) return { members: known.members };
    const lookup = await this.lookup(group);
    if ('members' in lookup) return lookup;
    if (!known) return { members: new Set(), caveat: `group ${group} could not be checked: ${lookup.failure}` };
    return {
      members: known.members,
      caveat: `group ${group} membership as of ${clock(known.at, this.now())}: ${lookup.failure}`,
    };
  }

  /** One request per group at a time: simultaneous clicks share it. */
  private lookup(group: string): Promise<Lookup> {
    const running = this.inflight.get(group);
    if (running) return running;
    const lookup = this.ask(group).finally(() => this.inflight.delete(group));
    this.inflight.set(group, lookup);
    return lookup;
  }

  private async ask(group: string): Promise<Lookup> {
    let timer: NodeJS.Timeout | undefined;
    // The client's timeout bounds the HTTP exchange; this bounds everything else too (its queue, DNS, a bug).
    const late = new Promise<Lookup>((resolve) => {
      timer = setTimeout(() => resolve({ failure: 'Slack did not answer in time' }), this.timeoutMs);
    });
    const call = this.client.usergroups.users.list({ usergroup: group }).then(
      (result): Lookup => {
        const members = new Set(result.users ?? []);
        this.remember(group, members);
        return { members };
      },
      (error: unknown): Lookup => ({ failure: failureOf(error) }),
    );
    try {
      return await Promise.race([call, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  private remember(group: string, members: Set<string>): void {
    this.known.delete(group);
    this.known.set(group, { members, at: this.now() });
    // A Map iterates in insertion order, so the first key is the group refreshed longest ago.
    while (this.known.size > this.maxGroups) {
      const oldest = this.known.keys().next().value;
      if (oldest === undefined) break;
      this.known.delete(oldest);
    }
  }
}

/** Why Slack gave no membership, as a person reads it. */
function failureOf(error: unknown): string {
  const e = error as { code?: string; statusCode?: number; data?: { error?: string }; original?: Error };
  switch (e.code) {
    case ErrorCode.HTTPError:
      return `Slack answered HTTP ${e.statusCode}`;
    case ErrorCode.PlatformError:
      return `Slack answered ${e.data?.error ?? 'with an error'}`;
    case ErrorCode.RateLimitedError:
      return 'Slack rate-limited the lookup';
    case ErrorCode.RequestError:
      return e.original?.name === 'TimeoutError' ? 'Slack did not answer in time' : 'Slack could not be reached';
    default:
      return 'Slack could not be reached';
  }
}

/** "12:03 UTC" today, "2025-03-04 12:03 UTC" on another day. */
function clock(at: number, now: number): string {
  const iso = new Date(at).toISOString();
  const sameDay = iso.slice(0, 10) === new Date(now).toISOString().slice(0, 10);
  return `${sameDay ? iso.slice(11, 16) : `${iso.slice(0, 10)} ${iso.slice(11, 16)}`} UTC`;
}
