import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

/*
 * The shape issue 8 set ("decide, then tell"), checked on every run rather than by eye: the domain and the use cases
 * decide and return data; only presenters (shared/slack) know Slack. A new file that breaks a rule fails here with
 * its name and the line.
 */
const ROOT = join(__dirname, '..');

function sourcesUnder(dir: string): string[] {
  return readdirSync(join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ts') && !file.endsWith('.d.ts'))
    .map((file) => join(dir, file));
}

interface ImportLine {
  from: string;
  typeOnly: boolean;
}

function importsOf(file: string): ImportLine[] {
  const text = readFileSync(join(ROOT, file), 'utf8');
  const found: ImportLine[] = [];
  for (const match of text.matchAll(/^(?:import|export)\s+(type\s+)?[^;]*?\sfrom\s+'([^']+)';/gms)) {
    found.push({ from: match[2] ?? '', typeOnly: match[1] !== undefined });
  }
  for (const match of text.matchAll(/\bimport\(\s*'([^']+)'\s*\)|\brequire\(\s*'([^']+)'\s*\)/g)) {
    found.push({ from: match[1] ?? match[2] ?? '', typeOnly: false });
  }
  return found;
}

/** The code without its comments, so a doc comment may quote Slack markup it explains. */
const codeOf = (file: string): string =>
  readFileSync(join(ROOT, file), 'utf8')
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/(^|[^:'"`])\/\/.*$/gm, '$1');

const DOMAIN = sourcesUnder('shared/domain');
const USECASES = sourcesUnder('shared/usecases');

describe('Architecture: decide, then tell', () => {
  it.each(DOMAIN)('%s imports only the domain (and config types, which are erased)', (file) => {
    const outside = importsOf(file).filter(
      ({ from, typeOnly }) => !from.startsWith('./') && !(typeOnly && from.startsWith('../config/')),
    );
    expect(outside).toEqual([]);
  });

  it.each(USECASES)('%s imports no presenter, adapter, edge or package', (file) => {
    const allowed = ['./', '../domain/', '../ports/', '../observability/'];
    const outside = importsOf(file).filter(
      ({ from, typeOnly }) =>
        !allowed.some((prefix) => from.startsWith(prefix)) && !(typeOnly && from.startsWith('../config/')),
    );
    expect(outside).toEqual([]);
  });

  it.each([...DOMAIN, ...USECASES])('%s writes no Slack markup (mentions, broadcasts, emoji codes)', (file) => {
    const markup = codeOf(file)
      .split('\n')
      .map((line, index) => ({ line: index + 1, text: line.trim() }))
      .filter(({ text }) => /<[@!#]|['"`][^'"`]*:[a-z][a-z0-9_+-]*:[^'"`]*['"`]/.test(text));
    expect(markup).toEqual([]);
  });
});

describe('Architecture: shipped tools do not depend on the test suite', () => {
  const tools = ['bench', 'scripts', 'e2e', 'testkit', 'shared', 'functions', 'local', 'infra'].flatMap(sourcesUnder);

  it.each(tools)('%s imports nothing from test/ (shared fakes live in testkit/)', (file) => {
    const fromTests = importsOf(file).filter(
      ({ from }) => join(file, '..', from).split(/[\\/]/)[0] === 'test' && from.startsWith('.'),
    );
    expect(fromTests).toEqual([]);
  });
});

describe('Architecture: the chat console stays local', () => {
  const deployed = ['shared', 'functions', 'infra'].flatMap(sourcesUnder);

  // The console lets whoever reaches it act as anyone: no Lambda bundle may carry it.
  it.each(deployed)('%s imports nothing from local/', (file) => {
    const fromLocal = importsOf(file).filter(
      ({ from }) => from.startsWith('.') && join(file, '..', from).split(/[\\/]/)[0] === 'local',
    );
    expect(fromLocal).toEqual([]);
  });
});

describe('Architecture: files short enough to read in one sitting', () => {
  const files = ['shared', 'functions', 'local', 'infra', 'bench', 'scripts', 'e2e'].flatMap(sourcesUnder);

  it.each(files)('%s has at most 320 lines', (file) => {
    expect(readFileSync(join(ROOT, file), 'utf8').split('\n').length).toBeLessThanOrEqual(320);
  });
});
