import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BotConfig, loadConfig } from '../../shared/config/load';
import { ConfigError } from '../../shared/domain/errors';

/** Configuration documents written to files of their own, as loadConfig reads them. */
export const SHIPPED = join(__dirname, '..', '..', 'config', 'release-bot.yaml');
export const SERVICE = 'production/product-service';

let dir: string | undefined;
let files = 0;

/** Removes the files written by the suite that imports this. */
afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Writes the document to a file of its own under os.tmpdir(). */
export function writeConfig(text: string): string {
  dir ??= mkdtempSync(join(tmpdir(), 'release-bot-config-'));
  const file = join(dir, `config-${++files}.yaml`);
  writeFileSync(file, text);
  return file;
}

/** 1-based line of the first line containing `needle`. */
export function lineOf(text: string, needle: string): number {
  const index = text.split('\n').findIndex((line) => line.includes(needle));
  if (index < 0) throw new Error(`"${needle}" is not in the document`);
  return index + 1;
}

/** Loads the document and returns the ConfigError it must raise. */
export function configError(text: string): { error: ConfigError; file: string } {
  const file = writeConfig(text);
  try {
    loadConfig(file);
  } catch (error) {
    if (error instanceof ConfigError) return { error, file };
    throw error;
  }
  throw new Error('the configuration was accepted');
}

export const problemAbout = (error: ConfigError, path: string): string | undefined =>
  error.problems.find((p) => p.startsWith(path));

export function policyOf(config: BotConfig, service = SERVICE) {
  const policy = config.services.get(service);
  if (!policy) throw new Error(`${service} is not configured`);
  return policy;
}

/** A document with one service on channel C0RELEASES1, its own lines below it and `head` above `services:`. */
export const minimal = (serviceLines: string[] = [], head: string[] = []): string =>
  [...head, 'services:', `  ${SERVICE}:`, '    channel: C0RELEASES1', ...serviceLines.map((l) => `    ${l}`), ''].join(
    '\n',
  );
