import type { z } from 'zod';
import { type BotConfig, loadConfig, parseConfig } from '../../shared/config/load';
import { awsSettingsSchema, readSettings } from '../../shared/config/settings';
import { currentLog } from '../../shared/observability/logger';
import { extensionConfiguration, extensionSecret } from './extensions';

/**
 * Secrets and configuration read at run time from the Lambda extensions (./extensions.ts), which cache them too:
 * a rotated secret or a new AppConfig version reaches every warm container within the two ages added up (5 minutes
 * and 1 minute, as the stack sets the extensions), with no redeploy. Kept here as well so a warm invocation makes
 * no call at all.
 */
export const SECRET_MAX_AGE_SECONDS = 60;
export const CONFIG_MAX_AGE_SECONDS = 15;

/**
 * A value read at most once per `maxAgeSeconds`. When a refresh fails the last value stays in force (logged): a
 * hiccup of the extension must not close every gate; with no value yet the error is thrown.
 */
function cached(read: (key: string) => Promise<string>, maxAgeSeconds: number): (key: string) => Promise<string> {
  const values = new Map<string, { value: string; readAt: number }>();
  return async (key) => {
    const last = values.get(key);
    if (last && Date.now() - last.readAt < maxAgeSeconds * 1000) return last.value;
    try {
      const value = await read(key);
      values.set(key, { value, readAt: Date.now() });
      return value;
    } catch (error) {
      if (!last) throw error;
      currentLog().error('refresh failed; keeping the value last read', { key, error });
      values.set(key, { ...last, readAt: Date.now() });
      return last.value;
    }
  };
}

const secretText = cached(extensionSecret, SECRET_MAX_AGE_SECONDS);
const configText = cached(extensionConfiguration, CONFIG_MAX_AGE_SECONDS);

export const settings = readSettings(awsSettingsSchema);

/**
 * A secret's JSON, validated by `schema`. The stack names each function's secret by ARN (`<NAME>_SECRET_ARN`); with
 * no ARN the values come from the environment itself, as in local runs and the bundle tests.
 */
export async function secretSettings<T extends z.ZodType>(schema: T, arnVariable: string): Promise<z.infer<T>> {
  const arn = process.env[arnVariable];
  if (!arn) return readSettings(schema);
  const value = parsedJson(await secretText(arn));
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
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
  const text = await configText(locator);
  if (current?.text === text) return current.config;
  try {
    current = { text, config: parseConfig(text, `AppConfig ${locator}`) };
  } catch (error) {
    if (!current) throw error;
    currentLog().error('new configuration version rejected; keeping the last good one', { locator, error });
  }
  return current.config;
}

function parsedJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
