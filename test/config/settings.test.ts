import {
  awsSettingsSchema,
  flaggerSettingsSchema,
  localSettingsSchema,
  readSettings,
} from '../../shared/config/settings';
import { ConfigError } from '../../shared/domain/errors';

describe('Function: readSettings', () => {
  it('gives npm start its defaults when the environment sets nothing', () => {
    // Act
    const settings = readSettings(localSettingsSchema, {});

    // Assert
    expect(settings).toStrictEqual({
      PORT: 3000,
      RELEASE_BOT_CONFIG: 'config/release-bot.yaml',
      RELEASE_BOT_DATA_DIR: '.release-bot',
    });
  });

  it('reads the same shipped configuration file on Lambda unless told otherwise', () => {
    // Arrange
    const env = { TABLE_NAME: 'release-bot', QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/jobs.fifo' };

    // Act
    const settings = readSettings(awsSettingsSchema, env);

    // Assert
    expect(settings.RELEASE_BOT_CONFIG).toBe(readSettings(localSettingsSchema, {}).RELEASE_BOT_CONFIG);
  });

  it('names every missing or bad variable, and where they were read from', () => {
    // Arrange
    const env = { FLAGGER_WEBHOOK_TOKEN: 'short' };

    // Act
    const read = () => readSettings(flaggerSettingsSchema, env, 'secret release-bot/flagger');

    // Assert
    expect(read).toThrow(ConfigError);
    expect(read).toThrow('secret release-bot/flagger is not a valid release-bot configuration');
    expect(read).toThrow('FLAGGER_WEBHOOK_TOKEN must be at least 8 characters');
  });
});
