import { connect } from 'node:net';

/** Sends raw bytes to the server and reads one answer: fetch cannot send a malformed request target. */
export function raw(url: string, request: string, waitMs = 2000): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname, () => socket.write(request));
    let bytes = Buffer.alloc(0);
    const parse = () => {
      const text = bytes.toString('utf8');
      const end = text.indexOf('\r\n\r\n');
      const head = end < 0 ? text : text.slice(0, end);
      const body = end < 0 ? '' : text.slice(end + 4);
      const length = /\r\ncontent-length: *(\d+)/i.exec(head)?.[1];
      return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0), body, end, length };
    };
    const done = () => {
      clearTimeout(timer);
      socket.destroy();
      const { status, body } = parse();
      resolve({ status, body });
    };
    const timer = setTimeout(done, waitMs);
    socket.on('data', (chunk: Buffer) => {
      bytes = Buffer.concat([bytes, chunk]);
      const { body, end, length } = parse();
      const complete = length === undefined ? body.endsWith('0\r\n\r\n') : Buffer.byteLength(body) >= Number(length);
      if (end >= 0 && complete) done();
    });
    socket.on('end', done);
    socket.on('error', (error) => (bytes.length ? done() : reject(error)));
  });
}
