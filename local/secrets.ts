import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { LocalStartError } from './start-errors';

export interface LocalSecrets {
  flaggerToken: string;
  signingSecret: string;
  /** Alertmanager's Bearer token (`http_config.authorization.credentials`). */
  alertmanagerToken: string;
  /** Set when this start made the secrets, to say so: every Canary's webhook needs the new token. */
  created?: string;
}

const FIELDS = ['flaggerToken', 'signingSecret'] as const;

/**
 * The webhook token and signing secret of `npm start`. The environment wins; otherwise they come from
 * `<data>/local-secrets.json`, made once on the first start. A file that is there but unreadable or incomplete is a
 * stop, never a reason to make new secrets: new ones would silently break every Canary's token. It is never written
 * over.
 */
export function localSecrets(dataDir: string, env: Partial<Omit<LocalSecrets, 'created'>> = {}): LocalSecrets {
  const alertmanagerToken = env.alertmanagerToken ?? alertmanagerTokenOf(dataDir);
  if (env.flaggerToken && env.signingSecret)
    return { flaggerToken: env.flaggerToken, signingSecret: env.signingSecret, alertmanagerToken };
  const file = join(dataDir, 'local-secrets.json');
  const stored = readSecrets(file) ?? createSecrets(file);
  return {
    ...stored,
    flaggerToken: env.flaggerToken ?? stored.flaggerToken,
    signingSecret: env.signingSecret ?? stored.signingSecret,
    alertmanagerToken,
  };
}

/**
 * Alertmanager's token, in a file of its own (`<data>/alertmanager-token`, made once): data folders from before the
 * Alertmanager route keep their local-secrets.json untouched, since that file is never written over.
 */
function alertmanagerTokenOf(dataDir: string): string {
  const file = join(dataDir, 'alertmanager-token');
  try {
    const token = readFileSync(file, 'utf8').trim();
    if (token.length >= 8) return token;
    throw new LocalStartError(
      'SECRETS_INVALID',
      `${file} holds no usable token (8 characters or more). Restore it, set ALERTMANAGER_TOKEN, or move it away to make a new one.`,
    );
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw asStartError(file, error);
  }
  const token = randomBytes(18).toString('base64url');
  try {
    writeFileSync(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return alertmanagerTokenOf(dataDir);
    throw asStartError(file, error);
  }
  return token;
}

function asStartError(file: string, error: unknown): LocalStartError {
  if (error instanceof LocalStartError) return error;
  return new LocalStartError(
    'SECRETS_UNREADABLE',
    `${file} cannot be used (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Fix the data folder's permissions, or set ALERTMANAGER_TOKEN.`,
    { cause: error },
  );
}

/** The secrets in the file, or undefined when there is no file yet. */
function readSecrets(file: string): Omit<LocalSecrets, 'alertmanagerToken'> | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return undefined;
    throw new LocalStartError(
      'SECRETS_UNREADABLE',
      `${file} cannot be read (${code ?? (error as Error).message}). release-bot stopped and left it as it is. ` +
        'Fix its permissions, or set FLAGGER_WEBHOOK_TOKEN and SLACK_SIGNING_SECRET.',
      { cause: error },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw invalid(file, `it is not JSON (${(error as Error).message})`);
  }
  const record = (typeof parsed === 'object' && parsed !== null ? parsed : {}) as Record<string, unknown>;
  const missing = FIELDS.filter((field) => typeof record[field] !== 'string' || record[field].trim() === '');
  if (missing.length > 0)
    throw invalid(file, `${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing or empty`);
  return { flaggerToken: String(record.flaggerToken), signingSecret: String(record.signingSecret) };
}

function createSecrets(file: string): Omit<LocalSecrets, 'alertmanagerToken'> {
  const secrets = {
    flaggerToken: randomBytes(18).toString('base64url'),
    signingSecret: randomBytes(16).toString('hex'),
  };
  try {
    // 'wx': if another start made the file in the meantime, theirs is kept and read.
    writeFileSync(file, JSON.stringify(secrets, null, 2), { mode: 0o600, flag: 'wx' });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return readSecrets(file) ?? secrets;
    throw new LocalStartError(
      'SECRETS_UNREADABLE',
      `${file} cannot be written (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Fix the data folder's permissions, or set FLAGGER_WEBHOOK_TOKEN and SLACK_SIGNING_SECRET.`,
      { cause: error },
    );
  }
  return {
    ...secrets,
    created: `Made a new webhook token and Slack signing secret in ${file} (first start). Canaries need the token above.`,
  };
}

function invalid(file: string, why: string): LocalStartError {
  return new LocalStartError(
    'SECRETS_INVALID',
    `${file} is not usable: ${why}. release-bot stopped and left it as it is, because new secrets would break every ` +
      'Canary webhook that sends the old token. Restore the file (it holds {"flaggerToken": "...", "signingSecret": ' +
      '"..."}), set FLAGGER_WEBHOOK_TOKEN and SLACK_SIGNING_SECRET, or move the file away to make new secrets.',
  );
}
