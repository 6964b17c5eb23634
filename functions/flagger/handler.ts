import { flaggerSettingsSchema, readSettings } from '../../shared/config/settings';
import { core } from '../aws/core';
import { flaggerHandler } from './handle';

const { FLAGGER_WEBHOOK_TOKEN } = readSettings(flaggerSettingsSchema);

export const handler = flaggerHandler(async () => core, FLAGGER_WEBHOOK_TOKEN);
