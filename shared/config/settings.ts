import { z } from 'zod';
import { ConfigError } from '../domain/errors';

const secret = (name: string) =>
  z.string({ error: `${name} is not set` }).min(8, `${name} must be at least 8 characters`);

/** Environment of the Lambda functions, one schema per concern; read once per container, failing fast by name. */
export const awsSettingsSchema = z.object({
  RELEASE_BOT_CONFIG: z.string().default('config/release-bot.yaml'),
  TABLE_NAME: z.string({ error: 'TABLE_NAME is not set' }).min(1),
  QUEUE_URL: z.string({ error: 'QUEUE_URL is not set' }).url(),
});
export const flaggerSettingsSchema = z.object({ FLAGGER_WEBHOOK_TOKEN: secret('FLAGGER_WEBHOOK_TOKEN') });
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
  RELEASE_BOT_CONFIG: z.string().default('config/release-bot.yaml'),
  RELEASE_BOT_DATA_DIR: z.string().default('.release-bot'),
  FLAGGER_WEBHOOK_TOKEN: secret('FLAGGER_WEBHOOK_TOKEN').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_BOT_TOKEN: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z.string().startsWith('xapp-', 'SLACK_APP_TOKEN is an app-level token (xapp-...)').optional(),
  SLACK_API_URL: z.string().url().optional(),
});

export function readSettings<T extends z.ZodType>(schema: T, env: NodeJS.ProcessEnv = process.env): z.infer<T> {
  const parsed = schema.safeParse(env);
  if (!parsed.success)
    throw new ConfigError(
      'environment',
      parsed.error.issues.map((i) => i.message),
    );
  return parsed.data;
}
