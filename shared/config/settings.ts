import * as z from 'zod';
import { ConfigError } from '../domain/errors';

const secret = (name: string) =>
  z.string({ error: `${name} is not set` }).min(8, `${name} must be at least 8 characters`);

/** The configuration file, relative to the working directory: the shipped one unless told otherwise. */
const configFile = z.string().default('config/release-bot.yaml');

/** Environment of the Lambda functions, one schema per concern; read once per container, failing fast by name. */
export const awsSettingsSchema = z.object({
  /** A file: tests and benchmarks. The stack sets RELEASE_BOT_APPCONFIG instead. */
  RELEASE_BOT_CONFIG: configFile,
  /** `<application>/<environment>/<profile>` in AWS AppConfig (ids or names), read at run time and cached. */
  RELEASE_BOT_APPCONFIG: z
    .string()
    .regex(/^[^/\s]+\/[^/\s]+\/[^/\s]+$/, 'RELEASE_BOT_APPCONFIG is <application>/<environment>/<profile>')
    .optional(),
  TABLE_NAME: z.string({ error: 'TABLE_NAME is not set' }).min(1),
  QUEUE_URL: z.string({ error: 'QUEUE_URL is not set' }).url(),
});
export const flaggerSettingsSchema = z.object({
  FLAGGER_WEBHOOK_TOKEN: secret('FLAGGER_WEBHOOK_TOKEN'),
  /** Still accepted while the Canaries move to the new token: a rotation needs no flag day. */
  FLAGGER_WEBHOOK_TOKEN_PREVIOUS: secret('FLAGGER_WEBHOOK_TOKEN_PREVIOUS').optional(),
});
export const alertmanagerSettingsSchema = z.object({
  ALERTMANAGER_TOKEN: secret('ALERTMANAGER_TOKEN'),
  /** Still accepted while the receivers move to the new token. */
  ALERTMANAGER_TOKEN_PREVIOUS: secret('ALERTMANAGER_TOKEN_PREVIOUS').optional(),
});
export const slackSettingsSchema = z.object({
  SLACK_SIGNING_SECRET: secret('SLACK_SIGNING_SECRET'),
  SLACK_BOT_TOKEN: z
    .string({ error: 'SLACK_BOT_TOKEN is not set' })
    .startsWith('xoxb-', 'SLACK_BOT_TOKEN is a bot token (xoxb-...)'),
  SLACK_API_URL: z.string().url().optional(),
});

/** Environment of `npm start`: everything optional, so it runs with none of it. */
export const localSettingsSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(3000),
  RELEASE_BOT_CONFIG: configFile,
  RELEASE_BOT_DATA_DIR: z.string().default('.release-bot'),
  FLAGGER_WEBHOOK_TOKEN: secret('FLAGGER_WEBHOOK_TOKEN').optional(),
  ALERTMANAGER_TOKEN: secret('ALERTMANAGER_TOKEN').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'SLACK_APP_TOKEN is an app-level token (xapp-...)').optional(),
  SLACK_API_URL: z.string().url().optional(),
});

/** Validates settings from the environment, or from a secret's JSON (`source` names it in the error). */
export function readSettings<T extends z.ZodType>(
  schema: T,
  env: Record<string, unknown> = process.env,
  source = 'environment',
): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(
      source,
      parsed.error.issues.map((i) => i.message),
    );
  return parsed.data;
}

export type SlackSettings = z.infer<typeof slackSettingsSchema>;
