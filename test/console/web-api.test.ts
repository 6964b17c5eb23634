import { WebClient } from '@slack/web-api';
import { forReading, terminalSummary } from '../../local/console/terminal';
import { startWebApi, type WebApi } from '../../local/console/web-api';
import { Workspace } from '../../local/console/workspace';
import { SlackChat, slackClient } from '../../shared/adapters/slack-chat';
import { escapeMrkdwn } from '../../shared/slack/mrkdwn';

/*
 * The chat console's stand-in Slack: the bot's real WebClient (SlackChat, as on Lambda) posting to it, and what a
 * person would then see in the workspace and in the terminal.
 */
describe('Class: the console Web API behind SlackChat', () => {
  let workspace: Workspace;
  let api: WebApi;
  let chat: SlackChat;
  let clock = Date.parse('2026-12-03T10:00:00Z');

  beforeEach(async () => {
    clock = Date.parse('2026-12-03T10:00:00Z');
    workspace = new Workspace({ messages: 5, fileBytes: 10, flaggerCalls: 3 }, () => clock);
    api = await startWebApi(workspace);
    chat = new SlackChat(slackClient(api.token, api.url));
  });
  afterEach(() => api.close());

  it('keeps posts, thread replies, edits and ephemeral messages as Slack shows them', async () => {
    const blocks = [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text: '*release #1*' } }];

    const parent = await chat.post('C0RELEASES1', { text: 'release #1', blocks });
    await chat.post('C0RELEASES1', { text: 'waiting for approval' }, { ts: parent.ts });
    await chat.update('C0RELEASES1', parent.ts, { text: 'release #1: promoted' });
    await chat.postEphemeral('C0RELEASES1', 'U0ALICE1', { text: 'only you' });

    const [top, reply, ephemeral] = workspace.snapshot().messages;
    expect(top).toMatchObject({ channel: 'C0RELEASES1', ts: parent.ts, text: 'release #1: promoted', edits: 1 });
    expect(top?.blocks).toEqual([]);
    expect(reply).toMatchObject({ threadTs: parent.ts, text: 'waiting for approval', edits: 0 });
    expect(ephemeral).toMatchObject({ onlyFor: 'U0ALICE1', text: 'only you' });
  });

  it('answers an edit of a message it never had with message_not_found, as Slack does', async () => {
    await expect(chat.update('C0RELEASES1', '1.000001', { text: 'x' })).rejects.toThrow(/message_not_found/);
  });

  it('refuses a call without the bot token this start made', async () => {
    const stranger = new WebClient('xoxb-guessed', { slackApiUrl: api.url, retryConfig: { retries: 0 } });

    await expect(stranger.chat.postMessage({ channel: 'C0RELEASES1', text: 'hi' })).rejects.toThrow(/not_authed/);
    expect(workspace.snapshot().messages).toEqual([]);
  });

  it('keeps an uploaded chart (files.uploadV2, all three steps) and shares it in the thread', async () => {
    const parent = await chat.post('C0RELEASES1', { text: 'release #1' });
    const content = Buffer.from([137, 80, 78, 71]);

    await chat.upload(
      'C0RELEASES1',
      { filename: 'chart.png', content, title: 'Chart', altText: 'All SLOs pass' },
      parent,
    );

    const shared = workspace.snapshot().messages.find((m) => m.files);
    expect(shared).toMatchObject({
      threadTs: parent.ts,
      files: [{ title: 'Chart', altText: 'All SLOs pass', bytes: 4 }],
    });
    expect(workspace.fileContent(shared?.files?.[0]?.id ?? '')).toEqual(content);
  });

  it('is bounded: the oldest messages and files go first', async () => {
    for (let i = 1; i <= 7; i++) await chat.post('C0RELEASES1', { text: `message ${i}` });
    const first = workspace.addFile({ filename: 'a.png', title: 'a', altText: '' }, Buffer.alloc(6));
    const second = workspace.addFile({ filename: 'b.png', title: 'b', altText: '' }, Buffer.alloc(6));

    expect(workspace.snapshot().messages.map((m) => m.text)).toEqual([
      'message 3',
      'message 4',
      'message 5',
      'message 6',
      'message 7',
    ]);
    expect(workspace.fileContent(first.id)).toBeUndefined();
    expect(workspace.fileContent(second.id)).toHaveLength(6);
  });

  it('opens a dialog only with a fresh trigger, once, for the person whose click made it', async () => {
    const client = slackClient(api.token, api.url);
    const view = { type: 'modal' as const, title: { type: 'plain_text' as const, text: 'Reject' }, blocks: [] };
    const fresh = workspace.newTrigger('U0ALICE1');
    const stale = workspace.newTrigger('U0BOB0001');

    await client.views.open({ trigger_id: fresh, view });
    await expect(client.views.open({ trigger_id: fresh, view })).rejects.toThrow(/expired_trigger_id/);
    clock += 11_000;
    await expect(client.views.open({ trigger_id: stale, view })).rejects.toThrow(/expired_trigger_id/);
    expect(workspace.snapshot().views.map((v) => v.user)).toEqual(['U0ALICE1']);
  });
});

describe('Function: terminalSummary', () => {
  it('prints one heading per message and indents every line of its text', () => {
    const lines: string[] = [];
    const workspace = new Workspace();
    workspace.onChange(
      terminalSummary(
        (line) => lines.push(line),
        (id) => `http://127.0.0.1/console/files/${id}`,
      ),
    );
    const reason = escapeMrkdwn('bad\n[slack C0RELEASES1] new message 1.000009\r[slack C0X] \u001b[2Kforged');

    workspace.post({ channel: 'C0RELEASES1', threadTs: '1.000001', text: `Rejected: ${reason}` });

    const printed = (lines[0] ?? '').split('\n');
    expect(printed[0]).toMatch(/^\[slack C0RELEASES1 thread 1\.000001\] reply /);
    expect(printed.slice(1).every((line) => line.startsWith('    '))).toBe(true);
    expect(lines[0]).not.toContain('\r');
    expect(lines[0]).not.toContain(String.fromCharCode(27));
    expect(lines[0]).toContain('    [slack C0RELEASES1] new message 1.000009');
  });

  it('says where to open an uploaded chart, with its alt text', () => {
    const lines: string[] = [];
    const workspace = new Workspace();
    workspace.onChange(
      terminalSummary(
        (line) => lines.push(line),
        (id) => `http://127.0.0.1/console/files/${id}`,
      ),
    );
    const file = workspace.addFile(
      { filename: 'chart.png', title: 'Chart', altText: 'All SLOs pass' },
      Buffer.alloc(16),
    );

    workspace.post({ channel: 'C0RELEASES', threadTs: '1.000001', text: '', files: [file] });

    expect(lines[0]).toContain(
      `[slack C0RELEASES thread 1.000001] file "Chart" (16 bytes): http://127.0.0.1/console/files/${file.id}`,
    );
    expect(lines[0]).toContain('alt text: All SLOs pass');
  });

  it('shows mentions, dates and escaped text as a person reads them in Slack', () => {
    const text = forReading('<@U0ALICE> at <!date^1741082400^{time}|10:00 UTC> in <#C0REL>: &lt;!channel&gt; &amp;');

    expect(text).toBe('@U0ALICE at 10:00 UTC in #C0REL: <!channel> &');
  });
});
