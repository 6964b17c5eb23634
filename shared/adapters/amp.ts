import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';
import type { CredentialsProvider } from './eks-token';

/**
 * Amazon Managed Service for Prometheus: the same HTTP API as Prometheus under
 * `https://aps-workspaces.<region>.amazonaws.com/workspaces/<id>`, with every request SigV4-signed for service `aps`.
 * The stack grants `aps:QueryMetrics` on that workspace only.
 */
export interface AmpWorkspace {
  region: string;
  workspaceId: string;
}

const AMP_URL = /^https:\/\/aps-workspaces\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?\/workspaces\/(ws-[A-Za-z0-9-]+)\/?$/;

/** The workspace a Prometheus base URL names, or undefined for a plain Prometheus. */
export function ampWorkspaceOf(url: string): AmpWorkspace | undefined {
  const match = AMP_URL.exec(url);
  return match?.[1] && match[2] ? { region: match[1], workspaceId: match[2] } : undefined;
}

/**
 * A fetch for PrometheusMetrics whose requests are SigV4-signed for AMP, body included (queries are form POSTs).
 * `credentials` is the function role's, as the SDK clients resolve them.
 */
export function signedFetch(
  region: string,
  credentials: CredentialsProvider,
  base: typeof fetch = fetch,
): typeof fetch {
  const signer = new SignatureV4({ service: 'aps', region, credentials, sha256: Hash.bind(null, 'sha256') });
  return async (input, init = {}) => {
    const url = new URL(input instanceof Request ? input.url : String(input));
    const body = typeof init.body === 'string' ? init.body : '';
    const signed = await signer.sign(
      new HttpRequest({
        method: init.method ?? 'GET',
        protocol: url.protocol,
        hostname: url.hostname,
        ...(url.port ? { port: Number(url.port) } : {}),
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        headers: { ...Object.fromEntries(new Headers(init.headers).entries()), host: url.host },
        body,
      }),
    );
    // fetch sets Host itself; the signature covers the same value.
    const { host: _host, ...headers } = signed.headers;
    return base(url, { ...init, headers });
  };
}
