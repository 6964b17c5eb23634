import { createHash, randomUUID } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A fake SQS endpoint (AWS JSON 1.0 protocol, SendMessage only) that keeps what was sent, so a test can hand the
 * messages to the worker as an SQS event. The SDK checks MD5OfMessageBody, so the fake computes it.
 */
export class FakeSqs {
  readonly messages: { body: string; groupId: string }[] = [];
  private server?: Server;

  async start(): Promise<string> {
    this.server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const input = JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, string>;
        if (req.headers['x-amz-target'] !== 'AmazonSQS.SendMessage') {
          res.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          res.end(JSON.stringify({ __type: 'com.amazonaws.sqs#UnsupportedOperation', message: 'only SendMessage' }));
          return;
        }
        this.messages.push({ body: input.MessageBody ?? '', groupId: input.MessageGroupId ?? '' });
        res.writeHead(200, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            MessageId: randomUUID(),
            MD5OfMessageBody: createHash('md5')
              .update(input.MessageBody ?? '')
              .digest('hex'),
          }),
        );
      });
    });
    await new Promise<void>((resolve) => this.server?.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  /** Removes the queued messages and returns them as the SQS event Lambda would deliver. */
  takeEvent(): { Records: { messageId: string; body: string; attributes: Record<string, string> }[] } {
    const taken = this.messages.splice(0);
    return {
      Records: taken.map((m, i) => ({ messageId: `m${i}`, body: m.body, attributes: { MessageGroupId: m.groupId } })),
    };
  }

  async stop(): Promise<void> {
    await new Promise<void>((resolve) => this.server?.close(() => resolve()));
  }
}
