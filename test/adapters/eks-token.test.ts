import { DescribeClusterCommand } from '@aws-sdk/client-eks';
import {
  type AwsCredentials,
  type EksApi,
  EksTokenSource,
  eksClusterAccess,
  eksToken,
  TOKEN_PREFIX,
} from '../../shared/adapters/eks-token';

const CREDENTIALS: AwsCredentials = {
  accessKeyId: 'AKIDEXAMPLE',
  secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY',
  sessionToken: 'session/token+1=',
};
const SIGNED_AT = new Date('2026-11-03T10:00:00Z');
const MINUTE = 60_000;

/** The presigned URL inside a token. */
function urlOf(token: string): URL {
  expect(token.startsWith(TOKEN_PREFIX)).toBe(true);
  const encoded = token.slice(TOKEN_PREFIX.length);
  // base64url without padding, as aws-iam-authenticator expects
  expect(encoded).toMatch(/^[A-Za-z0-9_-]+$/);
  return new URL(Buffer.from(encoded, 'base64url').toString('utf8'));
}

describe('Function: eksToken', () => {
  it('is "k8s-aws-v1." and a presigned STS GetCallerIdentity URL that signs x-k8s-aws-id', async () => {
    const token = await eksToken({
      region: 'eu-west-1',
      clusterName: 'prod',
      credentials: CREDENTIALS,
      signingDate: SIGNED_AT,
    });

    const url = urlOf(token);
    expect(url.origin).toBe('https://sts.eu-west-1.amazonaws.com');
    expect(url.pathname).toBe('/');
    expect(url.search).toMatch(/^\?Action=GetCallerIdentity&Version=2011-06-15&/);
    const q = url.searchParams;
    expect(q.get('X-Amz-Algorithm')).toBe('AWS4-HMAC-SHA256');
    expect(q.get('X-Amz-Credential')).toBe('AKIDEXAMPLE/20261103/eu-west-1/sts/aws4_request');
    expect(q.get('X-Amz-Date')).toBe('20261103T100000Z');
    expect(q.get('X-Amz-Expires')).toBe('60');
    expect(q.get('X-Amz-SignedHeaders')).toBe('host;x-k8s-aws-id');
    expect(q.get('X-Amz-Security-Token')).toBe('session/token+1=');
    // Regression check. The same value comes from botocore's SigV4QueryAuth (the signer under `aws eks get-token`)
    // for these inputs: AWSRequest GET https://sts.eu-west-1.amazonaws.com/ with the two query parameters and the
    // header x-k8s-aws-id: prod, expires=60, at 2026-11-03T10:00:00Z.
    expect(q.get('X-Amz-Signature')).toBe('2189d5cb665e422851139a09dc9088809fedc6717a33a6e4e7fa09e4130114b5');
  });

  it('is signed for the cluster it names, and differs by cluster', async () => {
    const sign = (clusterName: string) =>
      eksToken({ region: 'eu-west-1', clusterName, credentials: CREDENTIALS, signingDate: SIGNED_AT });
    const [prod, staging] = await Promise.all([sign('prod'), sign('staging')]);
    expect(urlOf(prod).searchParams.get('X-Amz-Signature')).not.toBe(
      urlOf(staging).searchParams.get('X-Amz-Signature'),
    );
  });
});

describe('Class: EksTokenSource', () => {
  const setup = (credentials: AwsCredentials = CREDENTIALS) => {
    let now = SIGNED_AT;
    const provider = jest.fn(async () => credentials);
    const source = new EksTokenSource({
      region: 'us-east-1',
      clusterName: 'prod',
      credentials: provider,
      now: () => now,
    });
    return { source, provider, advance: (ms: number) => (now = new Date(SIGNED_AT.getTime() + ms)) };
  };

  it('reuses a token for 14 minutes, then signs a new one', async () => {
    const { source, provider, advance } = setup();

    const first = await source.token();
    advance(14 * MINUTE - 1);
    const cached = await source.token();
    advance(14 * MINUTE);
    const refreshed = await source.token();

    expect(urlOf(first).hostname).toBe('sts.us-east-1.amazonaws.com');
    expect(cached).toBe(first);
    expect(refreshed).not.toBe(first);
    expect(urlOf(refreshed).searchParams.get('X-Amz-Date')).toBe('20261103T101400Z');
    expect(provider).toHaveBeenCalledTimes(2);
  });

  it('signs again before the credentials it used expire', async () => {
    const { source, advance } = setup({ ...CREDENTIALS, expiration: new Date(SIGNED_AT.getTime() + 5 * MINUTE) });

    const first = await source.token();
    advance(3 * MINUTE);
    expect(await source.token()).toBe(first);
    advance(4 * MINUTE); // within a minute of the credentials' expiry
    expect(await source.token()).not.toBe(first);
  });

  it('shares one signing among concurrent callers', async () => {
    const { source, provider } = setup();
    const tokens = await Promise.all([source.token(), source.token(), source.token()]);
    expect(new Set(tokens).size).toBe(1);
    expect(provider).toHaveBeenCalledTimes(1);
  });
});

describe('Function: eksClusterAccess', () => {
  /** The EKS API as the SDK client answers it; AWS itself is the edge these tests cannot reach. */
  const fakeEks = (answer: Awaited<ReturnType<EksApi['send']>> | Error) => {
    const commands: DescribeClusterCommand[] = [];
    const eks: EksApi = {
      send: async (command) => {
        commands.push(command);
        if (answer instanceof Error) throw answer;
        return answer;
      },
    };
    return { eks, commands };
  };

  it('takes the endpoint and CA from DescribeCluster, and signs tokens for that cluster', async () => {
    const { eks, commands } = fakeEks({
      cluster: {
        endpoint: 'https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com',
        certificateAuthority: { data: 'LS0tLS1CRUdJTg==' },
        status: 'ACTIVE',
      },
    });

    const access = await eksClusterAccess({
      region: 'eu-west-1',
      name: 'prod',
      eks,
      credentials: async () => CREDENTIALS,
      now: () => SIGNED_AT,
    });

    expect(commands).toHaveLength(1);
    expect(commands[0]).toBeInstanceOf(DescribeClusterCommand);
    expect(commands[0]?.input).toEqual({ name: 'prod' });
    expect(access.server).toBe('https://ABCDEF.gr7.eu-west-1.eks.amazonaws.com');
    expect(access.caData).toBe('LS0tLS1CRUdJTg==');
    const token = await access.token();
    expect(token).toBe(
      await eksToken({ region: 'eu-west-1', clusterName: 'prod', credentials: CREDENTIALS, signingDate: SIGNED_AT }),
    );
  });

  it('says what failed when the cluster cannot be described', async () => {
    const denied = fakeEks(
      new Error('User: arn:aws:sts::1:assumed-role/bot is not authorized to perform: eks:DescribeCluster'),
    );
    await expect(
      eksClusterAccess({ region: 'eu-west-1', name: 'prod', eks: denied.eks, credentials: async () => CREDENTIALS }),
    ).rejects.toThrow(/^DescribeCluster prod in eu-west-1 failed: .*needs eks:DescribeCluster/);

    const creating = fakeEks({ cluster: { status: 'CREATING' } });
    await expect(
      eksClusterAccess({ region: 'eu-west-1', name: 'prod', eks: creating.eks, credentials: async () => CREDENTIALS }),
    ).rejects.toThrow('DescribeCluster prod in eu-west-1 gave no endpoint or CA (cluster status CREATING)');
  });
});
