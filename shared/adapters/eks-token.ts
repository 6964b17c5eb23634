import { DescribeClusterCommand, EKSClient } from '@aws-sdk/client-eks';
import { Hash } from '@smithy/hash-node';
import { HttpRequest } from '@smithy/protocol-http';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * EKS access without binaries (no aws-iam-authenticator, no `aws eks get-token`): the cluster's endpoint and CA from
 * DescribeCluster, and a bearer token that is a presigned STS GetCallerIdentity URL. The apiserver's authenticator
 * calls that URL, learns the caller's IAM role, and maps it to a Kubernetes group through the cluster's access entry.
 */

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
  sessionToken?: string;
  /** When temporary credentials stop working: a token signed with them dies with them. */
  expiration?: Date;
}
export type CredentialsProvider = () => Promise<AwsCredentials>;

/** What DescribeCluster needs from an EKS client: the real one, or a fake in tests. */
export interface EksApi {
  send(command: DescribeClusterCommand): Promise<{
    cluster?: { endpoint?: string; certificateAuthority?: { data?: string }; status?: string };
  }>;
}

export interface EksClusterAccess {
  server: string;
  /** base64 PEM, as kubeconfig's certificate-authority-data */
  caData: string;
  token: () => Promise<string>;
}

export interface EksAccessOptions {
  region: string;
  /** the EKS cluster name; also the `x-k8s-aws-id` the token is signed for */
  name: string;
  /** defaults to an EKSClient for the region, with the default credential chain */
  eks?: EksApi;
  /** defaults to the EKS client's own credential chain (environment, Lambda role, profile, ...) */
  credentials?: CredentialsProvider;
  now?: () => Date;
}

export const TOKEN_PREFIX = 'k8s-aws-v1.';
/** The presigned URL's own expiry, as aws-iam-authenticator sets it; EKS accepts the token 15 minutes from X-Amz-Date. */
const PRESIGN_EXPIRES_SECONDS = 60;
/** Refresh a minute before EKS would refuse the token. */
export const TOKEN_REFRESH_MS = 14 * 60_000;
/** Never hand out a token signed with credentials that expire within this margin. */
const CREDENTIALS_MARGIN_MS = 60_000;

const stsHost = (region: string) => `sts.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;

/** One EKS bearer token: `k8s-aws-v1.` + base64url, without padding, of a presigned GetCallerIdentity URL. */
export async function eksToken(options: {
  region: string;
  clusterName: string;
  credentials: AwsCredentials | CredentialsProvider;
  signingDate: Date;
}): Promise<string> {
  const hostname = stsHost(options.region);
  const signer = new SignatureV4({
    service: 'sts',
    region: options.region,
    credentials: options.credentials,
    sha256: Hash.bind(null, 'sha256'),
  });
  const request = new HttpRequest({
    method: 'GET',
    protocol: 'https:',
    hostname,
    path: '/',
    // x-k8s-aws-id ties the token to one cluster: it must be signed (it is not an x-amz-* header, so it stays a
    // header and goes into X-Amz-SignedHeaders next to host)
    headers: { host: hostname, 'x-k8s-aws-id': options.clusterName },
    query: { Action: 'GetCallerIdentity', Version: '2011-06-15' },
  });
  const signed = await signer.presign(request, {
    expiresIn: PRESIGN_EXPIRES_SECONDS,
    signingDate: options.signingDate,
  });
  const query = Object.entries(signed.query ?? {})
    .flatMap(([key, value]) => (Array.isArray(value) ? value.map((v) => [key, v]) : [[key, value ?? '']]))
    .map(([key, value]) => `${encodeURIComponent(key ?? '')}=${encodeURIComponent(value ?? '')}`)
    .join('&');
  const url = `https://${hostname}/?${query}`;
  return TOKEN_PREFIX + Buffer.from(url, 'utf8').toString('base64url');
}

/** A token source that signs a new token after 14 minutes (or before the credentials expire) and reuses it until then. */
export class EksTokenSource {
  private cached?: { token: string; refreshAt: number };
  private pending?: Promise<string>;
  private readonly now: () => Date;

  constructor(
    private readonly options: {
      region: string;
      clusterName: string;
      credentials: CredentialsProvider;
      now?: () => Date;
    },
  ) {
    this.now = options.now ?? (() => new Date());
  }

  token(): Promise<string> {
    const now = this.now();
    if (this.cached && now.getTime() < this.cached.refreshAt) return Promise.resolve(this.cached.token);
    // concurrent callers share one signing
    this.pending ??= this.sign(now).finally(() => {
      this.pending = undefined;
    });
    return this.pending;
  }

  private async sign(now: Date): Promise<string> {
    const credentials = await this.options.credentials();
    const token = await eksToken({
      region: this.options.region,
      clusterName: this.options.clusterName,
      credentials,
      signingDate: now,
    });
    let refreshAt = now.getTime() + TOKEN_REFRESH_MS;
    if (credentials.expiration) {
      refreshAt = Math.min(refreshAt, credentials.expiration.getTime() - CREDENTIALS_MARGIN_MS);
    }
    this.cached = { token, refreshAt };
    return token;
  }
}

/**
 * DescribeCluster (once; the endpoint and CA do not change) and a refreshing token source. Throws with a sentence
 * when the cluster cannot be described; the Kubernetes adapter turns that into its `{ error }`.
 */
export async function eksClusterAccess(options: EksAccessOptions): Promise<EksClusterAccess> {
  const client = options.eks ?? new EKSClient({ region: options.region });
  const credentials =
    options.credentials ??
    (client instanceof EKSClient ? () => client.config.credentials() : defaultCredentials(options.region));
  let described: Awaited<ReturnType<EksApi['send']>>;
  try {
    described = await client.send(new DescribeClusterCommand({ name: options.name }));
  } catch (error) {
    throw new Error(
      `DescribeCluster ${options.name} in ${options.region} failed: ${(error as Error).message} ` +
        '(the bot needs eks:DescribeCluster on this cluster)',
    );
  }
  const endpoint = described.cluster?.endpoint;
  const caData = described.cluster?.certificateAuthority?.data;
  if (!endpoint || !caData) {
    throw new Error(
      `DescribeCluster ${options.name} in ${options.region} gave no endpoint or CA` +
        (described.cluster?.status ? ` (cluster status ${described.cluster.status})` : ''),
    );
  }
  const source = new EksTokenSource({
    region: options.region,
    clusterName: options.name,
    credentials,
    ...(options.now ? { now: options.now } : {}),
  });
  return { server: endpoint, caData, token: () => source.token() };
}

/** The default chain without an EKS client of our own (when a fake EKS client was injected but no credentials). */
function defaultCredentials(region: string): CredentialsProvider {
  let client: EKSClient | undefined;
  return () => {
    client ??= new EKSClient({ region });
    return client.config.credentials();
  };
}
