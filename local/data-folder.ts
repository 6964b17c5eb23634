import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient, ResourceNotFoundException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ClassicLevel } from 'classic-level';
import { logProblem } from './leveldb-log';
import { LocalStartError } from './start-errors';

/** What the check found: a fresh folder (first start) or one holding data that must not be started over. */
export interface DataFolderState {
  hasData: boolean;
  /** LevelDB entries read (tables, items, indexes). */
  entries: number;
}

/**
 * Checks the embedded DynamoDB's LevelDB folder before dynalite opens it, because dynalite opens its database lazily
 * and throws a database error out of its request handler: a locked or damaged folder would otherwise start a bot
 * that crashes on the first request, or (a missing CURRENT) silently make a new empty database over the old files.
 * Everything here only reads; the only writes are LevelDB's own log recovery when the folder opens cleanly.
 */
export async function checkDataFolder(folder: string): Promise<DataFolderState> {
  const files = listFiles(folder);
  if (files.length === 0) return { hasData: false, entries: 0 };
  if (!files.includes('CURRENT')) throw damaged(folder, 'its CURRENT file is missing');
  const logs = files.filter((f) => /^\d+\.log$/.test(f));
  // LevelDB always leaves a log behind when it closes; without one, the latest writes are gone.
  if (logs.length === 0) throw damaged(folder, 'its write-ahead log (the NNNNNN.log file) is missing');
  for (const log of logs) {
    const problem = logProblem(join(folder, log));
    if (problem) throw damaged(folder, `its write-ahead log ${log} is damaged: ${problem}`);
  }
  const entries = await readEverything(folder);
  return { hasData: entries > 0, entries };
}

/**
 * Creates the table in a fresh folder; in a folder with data, insists that the table is there and readable.
 * Data files without the table is a damaged folder, never a reason to start empty.
 */
export async function openTable(
  folder: string,
  state: DataFolderState,
  clients: { dynamo: DynamoDBClient; documents: DynamoDBDocumentClient },
  tableName: string,
  create: () => Promise<void>,
): Promise<void> {
  if (!state.hasData) await create();
  try {
    await clients.dynamo.send(new DescribeTableCommand({ TableName: tableName }));
    await clients.documents.send(new ScanCommand({ TableName: tableName, Limit: 1 }));
  } catch (error) {
    if (error instanceof ResourceNotFoundException)
      throw damaged(folder, `it holds data, but not the table ${tableName}`, error);
    throw damaged(folder, `reading the table ${tableName} failed: ${(error as Error).message}`, error);
  }
}

function listFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  try {
    if (!statSync(folder).isDirectory()) throw damaged(folder, 'it is a file, not a folder');
    return readdirSync(folder);
  } catch (error) {
    if (error instanceof LocalStartError) throw error;
    throw new LocalStartError(
      'DATA_FOLDER_UNREADABLE',
      `release-bot cannot read its data folder ${folder} (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}). Fix its permissions, or set RELEASE_BOT_DATA_DIR to another folder.`,
      { cause: error },
    );
  }
}

/** Opens the folder without creating anything and reads every entry: LevelDB finds damaged table files on read. */
async function readEverything(folder: string): Promise<number> {
  const db = new ClassicLevel<string, unknown>(folder, { createIfMissing: false, valueEncoding: 'json' });
  try {
    await db.open();
  } catch (error) {
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    if (cause?.code === 'LEVEL_LOCKED')
      throw new LocalStartError(
        'DATA_FOLDER_IN_USE',
        `Another release-bot is using ${folder} (LevelDB lock held). Stop it or set RELEASE_BOT_DATA_DIR to another folder.`,
        { cause: error },
      );
    throw damaged(folder, `LevelDB cannot open it: ${cause?.message ?? (error as Error).message}`, error);
  }
  let count = 0;
  try {
    for await (const _ of db.iterator({ fillCache: false })) count++;
  } catch (error) {
    const cause = (error as { cause?: Error }).cause;
    throw damaged(folder, `reading entry ${count + 1} failed: ${cause?.message ?? (error as Error).message}`, error);
  } finally {
    await db.close();
  }
  return count;
}

/** The command that backs the folder up, then repairs it (see local/repair.ts). */
export const repairCommand = (folder: string) => `npx tsx local/repair.ts ${JSON.stringify(folder)}`;

function damaged(folder: string, why: string, cause?: unknown): LocalStartError {
  return new LocalStartError(
    'DATA_FOLDER_DAMAGED',
    `The release-bot data in ${folder} is damaged: ${why}. release-bot stopped before using it and deleted or ` +
      `repaired nothing. To repair it, run ${repairCommand(folder)}: it first copies the folder to a timestamped ` +
      'backup next to it, then lets LevelDB rebuild it from the files that are left. Or set RELEASE_BOT_DATA_DIR to ' +
      'another folder to start with empty state (the damaged folder stays as it is).',
    { cause },
  );
}
