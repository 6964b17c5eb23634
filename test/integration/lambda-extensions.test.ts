import { createServer, type RequestListener, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extensionConfiguration, extensionSecret } from '../../functions/aws/extensions';
import { FakeExtensions } from '../../testkit/fake-extensions';

/** The two extension clients against the fake extensions, and against extensions that misbehave. */
describe('Lambda extensions: secrets and configuration on localhost', () => {
  const extensions = new FakeExtensions();
  const saved = { ...process.env };
  let odd: Server | undefined;
  let fakePort = '';

  beforeAll(async () => {
    fakePort = String(await extensions.start());
    extensions.secrets.set('arn:aws:secretsmanager:eu-west-1:1:secret:bot/flagger', '{"FLAGGER_WEBHOOK_TOKEN":"t"}');
    extensions.configs.set('app id/prod/config', 'services: {}\n');
  });

  beforeEach(() => {
    Object.assign(process.env, {
      PARAMETERS_SECRETS_EXTENSION_HTTP_PORT: fakePort,
      AWS_APPCONFIG_EXTENSION_HTTP_PORT: fakePort,
      AWS_SESSION_TOKEN: extensions.sessionToken,
    });
  });

  afterEach(async () => {
    if (odd) await new Promise((resolve) => odd?.close(resolve));
    odd = undefined;
  });

  afterAll(async () => {
    process.env = saved;
    await extensions.stop();
  });

  /** An extension that answers as `listener` does, on its own port for both kinds of call. */
  async function misbehaving(listener: RequestListener): Promise<void> {
    odd = createServer(listener);
    await new Promise<void>((resolve) => odd?.listen(0, '127.0.0.1', resolve));
    const port = String((odd.address() as AddressInfo).port);
    process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT = port;
    process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT = port;
  }

  it('reads a secret with the session token, and a configuration by its path', async () => {
    await expect(extensionSecret('arn:aws:secretsmanager:eu-west-1:1:secret:bot/flagger')).resolves.toBe(
      '{"FLAGGER_WEBHOOK_TOKEN":"t"}',
    );
    await expect(extensionConfiguration('app id/prod/config')).resolves.toBe('services: {}\n');
    expect(extensions.calls).toEqual([
      'secret arn:aws:secretsmanager:eu-west-1:1:secret:bot/flagger',
      'configuration app id/prod/config',
    ]);
  });

  it('says what it could not read, and why, for a refusal and for a missing configuration', async () => {
    process.env.AWS_SESSION_TOKEN = 'not-the-session-token';

    await expect(extensionSecret('arn:x')).rejects.toThrow(
      'cannot read the secret arn:x from its Lambda extension: HTTP 401 X-Aws-Parameters-Secrets-Token is missing or wrong',
    );
    await expect(extensionConfiguration('app/prod/none')).rejects.toThrow(
      'cannot read AppConfig app/prod/none from its Lambda extension: HTTP 404 ResourceNotFoundException',
    );
  });

  it('refuses an answer that is not JSON, one larger than 4 MiB, and no answer within 3 s', async () => {
    await misbehaving((req, res) => {
      if (req.url?.startsWith('/secretsmanager')) return void res.end('<html>proxy error</html>');
      if (req.url?.includes('/big/')) return void res.end('x'.repeat(5 * 1024 * 1024));
      // and the slow one never answers
    });

    await expect(extensionSecret('arn:x')).rejects.toThrow('its answer is not JSON');
    await expect(extensionConfiguration('app/big/config')).rejects.toThrow('the answer is larger than 4194304 bytes');
    await expect(extensionConfiguration('app/slow/config')).rejects.toThrow('no answer within 3000 ms');
  }, 10_000);

  it('says so when no extension listens', async () => {
    await misbehaving(() => undefined);
    await new Promise((resolve) => odd?.close(resolve));
    odd = undefined;

    await expect(extensionConfiguration('app/prod/config')).rejects.toThrow(
      /^cannot read AppConfig app\/prod\/config from its Lambda extension: .*ECONNREFUSED/,
    );
  });
});
