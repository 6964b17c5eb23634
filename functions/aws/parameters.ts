import { getAppConfig } from '@aws-lambda-powertools/parameters/appconfig';
import { getSecret } from '@aws-lambda-powertools/parameters/secrets';
import type { z } from 'zod';
import { type BotConfig, loadConfig, parseConfig } from '../../shared/config/load';
import { awsSettingsSchema, readSettings } from '../../shared/config/settings';
import { currentLog } from '../../shared/observability/logger';

/**
 * Secrets and configuration read at run time through Powertools Parameters, each cached for its max age: a rotated
 * secret or a new AppConfig version reaches every warm container within that time, with no redeploy.
 */
export const SECRET_MAX_AGE_SECONDS = 300;
/** AppConfig's own minimum poll interval is 15 s; a minute keeps an approver change quick and the calls few. */
export const CONFIG_MAX_AGE_SECONDS = 60;

export const settings = readSettings(awsSettingsSchema);

/**
 * A secret's JSON, validated by `schema`. The stack names each function's secret by ARN (`<NAME>_SECRET_ARN`); with
 * no ARN the values come from the environment itself, as in local runs and the bundle tests.
 */
export async function secretSettings<T extends z.ZodType>(schema: T, arnVariable: string): Promise<z.infer<T>> {
  const arn = process.env[arnVariable];
  if (!arn) return readSettings(schema);
  const value: unknown = await getSecret(arn, { maxAge: SECRET_MAX_AGE_SECONDS, transform: 'json' });
  if (typeof value !== 'object' || value === null) {
    return readSettings(schema, {}, `the secret ${arn} (it must be a JSON object)`);
  }
  return readSettings(schema, value as Record<string, unknown>, `the secret ${arn}`);
}

let file: BotConfig | undefined;
let current: { text: string; config: BotConfig } | undefined;

/**
 * The configuration in force: the AppConfig version deployed (validated again here with the same parser as at synth
 * and in `npm start`), or the file. A version that fails validation is not used: the last good one stays, and the
 * error is logged; with no good version yet, the error is thrown with its sentences.
 */
export async function currentConfig(): Promise<BotConfig> {
  const locator = settings.RELEASE_BOT_APPCONFIG;
  if (!locator) {
    file ??= loadConfig(settings.RELEASE_BOT_CONFIG);
    return file;
  }
  const [application, environment, profile] = locator.split('/') as [string, string, string];
  const raw = await getAppConfig(profile, { application, environment, maxAge: CONFIG_MAX_AGE_SECONDS });
  const text = new TextDecoder().decode(raw as Uint8Array);
  if (current?.text === text) return current.config;
  try {
    current = { text, config: parseConfig(text, `AppConfig ${locator}`) };
  } catch (error) {
    if (!current) throw error;
    currentLog().error('new configuration version rejected; keeping the last good one', { locator, error });
  }
  return current.config;
}
