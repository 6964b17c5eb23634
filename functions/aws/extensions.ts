import { request } from 'node:http';

/**
 * The two AWS Lambda extensions the stack attaches, reached on localhost instead of through SDK clients: the AWS
 * Parameters and Secrets extension (Secrets Manager) and the AWS AppConfig agent. Both fetch and cache with the
 * function's role; loading no Secrets Manager, AppConfigData or Powertools Parameters client takes them off every
 * cold start (bench/cold-start.ts).
 */
const TIMEOUT_MS = 3000;
/** AppConfig's hosted configurations stop at 2 MB; a longer answer is not one of them. */
const MAX_BYTES = 4 * 1024 * 1024;

/** The SecretString of a secret, from the Parameters and Secrets extension. */
export async function extensionSecret(arn: string): Promise<string> {
  const port = process.env.PARAMETERS_SECRETS_EXTENSION_HTTP_PORT ?? '2773';
  const body = await get(
    port,
    `/secretsmanager/get?secretId=${encodeURIComponent(arn)}`,
    // The extension refuses a request without the function's session token (its guard against request forgery).
    { 'X-Aws-Parameters-Secrets-Token': process.env.AWS_SESSION_TOKEN ?? '' },
    `the secret ${arn}`,
  );
  let value: unknown;
  try {
    value = (JSON.parse(body) as { SecretString?: unknown }).SecretString;
  } catch {
    throw new Error(`cannot read the secret ${arn} from its Lambda extension: its answer is not JSON`);
  }
  if (typeof value !== 'string') throw new Error(`the secret ${arn} has no SecretString (a binary secret?)`);
  return value;
}

/** The deployed version of an AppConfig profile (`<application>/<environment>/<profile>`), from the AppConfig agent. */
export function extensionConfiguration(locator: string): Promise<string> {
  const port = process.env.AWS_APPCONFIG_EXTENSION_HTTP_PORT ?? '2772';
  const [application, environment, profile] = locator.split('/').map(encodeURIComponent);
  return get(
    port,
    `/applications/${application}/environments/${environment}/configurations/${profile}`,
    {},
    `AppConfig ${locator}`,
  );
}

/** One GET on localhost: the body of a 200, or an error whose message says what could not be read and why. */
function get(port: string, path: string, headers: Record<string, string>, what: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const failed = (why: string) => reject(new Error(`cannot read ${what} from its Lambda extension: ${why}`));
    const req = request({ host: 'localhost', port, path, headers, timeout: TIMEOUT_MS }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BYTES) req.destroy(new Error(`the answer is larger than ${MAX_BYTES} bytes`));
        else chunks.push(chunk);
      });
      res.on('error', (error) => failed(error.message));
      res.on('end', () => {
        if (size > MAX_BYTES) return;
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve(body);
        else failed(`HTTP ${res.statusCode} ${body.slice(0, 300)}`);
      });
    });
    req.on('timeout', () => req.destroy(new Error(`no answer within ${TIMEOUT_MS} ms`)));
    req.on('error', (error) => failed(error.message));
    req.end();
  });
}
