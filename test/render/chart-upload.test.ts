import { WebClient } from '@slack/web-api';
import { SlackChat } from '../../shared/adapters/slack-chat';
import type { ChatFile } from '../../shared/ports/chat';
import { chartPng } from '../../shared/render/chart';
import { FakeSlack } from '../../testkit/fake-slack';
import { failingSnapshot } from '../../testkit/snapshots';

describe('Function: SlackChat.upload', () => {
  const slack = new FakeSlack();
  let chat: SlackChat;
  let chart: ChatFile;

  beforeAll(async () => {
    const apiUrl = await slack.start();
    chat = new SlackChat(new WebClient('xoxb-test-token', { slackApiUrl: apiUrl, retryConfig: { retries: 0 } }));
    chart = {
      filename: 'payments-api-release-3.png',
      content: await chartPng(failingSnapshot()),
      title: 'payments/api release #3: canary vs primary',
      altText: 'Success rate and error rate fail their SLOs',
    };
  });
  afterAll(() => slack.stop());

  it('uploads the bytes intact and shares the file in the thread of the channel', async () => {
    // Arrange
    const thread = { ts: '1700000000.000001' };

    // Act
    await chat.upload('C0RELEASES', chart, thread);

    // Assess
    const [asked] = slack.called('files.getUploadURLExternal').slice(-1);
    const [completed] = slack.called('files.completeUploadExternal').slice(-1);
    const fileId = String(asked?.result.file_id);
    expect(asked?.args).toMatchObject({
      filename: 'payments-api-release-3.png',
      length: String(chart.content.length),
      alt_text: 'Success rate and error rate fail their SLOs',
    });
    expect(slack.uploaded(fileId)?.equals(chart.content)).toBe(true);
    expect(completed?.args).toMatchObject({
      channel_id: 'C0RELEASES',
      thread_ts: '1700000000.000001',
      files: [{ id: fileId, title: 'payments/api release #3: canary vs primary' }],
    });
    expect(slack.uploads.get(fileId)).toMatchObject({ completed: true, channel: 'C0RELEASES', threadTs: thread.ts });
    expect(slack.calls.slice(-3).map((c) => c.method)).toEqual([
      'files.getUploadURLExternal',
      'upload',
      'files.completeUploadExternal',
    ]);
  });

  it('shares the file in the channel itself when no thread is given', async () => {
    // Arrange
    const file: ChatFile = { ...chart, filename: 'chart.png', content: Buffer.from([0, 1, 2, 255, 254]) };

    // Act
    await chat.upload('C0OTHER', file);

    // Assess
    const [completed] = slack.called('files.completeUploadExternal').slice(-1);
    const fileId = String(slack.called('files.getUploadURLExternal').at(-1)?.result.file_id);
    expect(completed?.args.channel_id).toBe('C0OTHER');
    expect(completed?.args).not.toHaveProperty('thread_ts');
    expect([...(slack.uploaded(fileId) ?? [])]).toEqual([0, 1, 2, 255, 254]);
  });
});
