import { createHash } from 'node:crypto';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import { ampWorkspaceOf, signedFetch } from '../../shared/adapters/amp';
import { PrometheusMetrics } from '../../shared/adapters/prometheus-metrics';

const CREDENTIALS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' };

describe('Function: ampWorkspaceOf', () => {
  it('reads region and workspace from an AMP URL, and nothing from a plain Prometheus', () => {
    expect(ampWorkspaceOf('https://aps-workspaces.eu-west-1.amazonaws.com/workspaces/ws-12ab-34cd')).toEqual({
      region: 'eu-west-1',
      workspaceId: 'ws-12ab-34cd',
    });
    expect(ampWorkspaceOf('http://prometheus.istio-system:9090')).toBeUndefined();
    expect(
      ampWorkspaceOf('https://aps-workspaces.eu-west-1.amazonaws.com.evil.example/workspaces/ws-1'),
    ).toBeUndefined();
  });
});

describe('Function: signedFetch', () => {
  it('sends PrometheusMetrics queries with a SigV4 signature for aps that matches what arrived', async () => {
    // Arrange: a loopback server that records the request as received and answers like Prometheus
    let received: { method: string; url: string; headers: IncomingHttpHeaders; body: string } | undefined;
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        received = {
          method: req.method ?? '',
          url: req.url ?? '',
          headers: req.headers,
          body: Buffer.concat(chunks).toString(),
        };
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"status":"success","data":{"resultType":"scalar","result":[1,"42"]}}');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/workspaces/ws-1`;
    const metrics = new PrometheusMetrics({
      baseUrl: base,
      fetch: signedFetch('eu-west-1', async () => CREDENTIALS),
    });

    // Act
    const reading = await metrics.instant('sum(rate(istio_requests_total[1m]))', new Date('2025-03-04T10:00:00Z'));
    await new Promise((resolve) => server.close(resolve));

    // Assess: the scope is aps in the region, and re-signing the received request gives the same signature
    expect(reading).toEqual({ value: 42 });
    const auth = String(received?.headers.authorization);
    expect(auth).toMatch(
      /^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\/\d{8}\/eu-west-1\/aps\/aws4_request, SignedHeaders=/,
    );
    // The body's hash is signed too: a query altered on the way would not verify.
    expect(auth).toMatch(/SignedHeaders=[^,]*content-type;host;x-amz-content-sha256;x-amz-date,/);
    const signedNames = /SignedHeaders=([^,]+)/.exec(auth)?.[1]?.split(';') ?? [];
    const url = new URL(received?.url ?? '', 'http://x');
    const date = String(received?.headers['x-amz-date']);
    const resigned = await new SignatureV4({
      service: 'aps',
      region: 'eu-west-1',
      credentials: CREDENTIALS,
      sha256: Hash.bind(null, 'sha256'),
    }).sign(
      new HttpRequest({
        method: received?.method ?? '',
        protocol: 'http:',
        hostname: '127.0.0.1',
        path: url.pathname,
        headers: Object.fromEntries(signedNames.map((name) => [name, String(received?.headers[name])])),
        body: received?.body ?? '',
      }),
      {
        signingDate: new Date(
          `${date.slice(0, 4)}-${date.slice(4, 6)}-${date.slice(6, 8)}T${date.slice(9, 11)}:${date.slice(11, 13)}:${date.slice(13, 15)}Z`,
        ),
      },
    );
    expect(resigned.headers.authorization).toBe(auth);
    expect(received?.body).toContain('query=sum');
    expect(received?.headers['x-amz-content-sha256']).toBe(
      createHash('sha256')
        .update(received?.body ?? '')
        .digest('hex'),
    );
  });
});
