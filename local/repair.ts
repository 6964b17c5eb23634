import { cpSync, existsSync } from 'node:fs';
import { ClassicLevel } from 'classic-level';
import { checkDataFolder } from './data-folder';
import { LocalStartError } from './start-errors';

/**
 * Repairs a damaged LevelDB folder of the embedded DynamoDB, after copying it whole to a timestamped backup next to
 * it. LevelDB's repair keeps what it can read and sets damaged files aside, so what it could not read is lost from
 * the folder: the backup is the copy to go back to.
 */
export async function repairDataFolder(folder: string, now = new Date()): Promise<{ backup: string }> {
  if (!existsSync(folder)) throw new Error(`${folder} does not exist: there is nothing to repair.`);
  await refuseIfInUse(folder);
  const backup = `${folder}.backup-${now.toISOString().replace(/[:.]/g, '-')}`;
  cpSync(folder, backup, { recursive: true, errorOnExist: true, force: false });
  await ClassicLevel.repair(folder);
  // Opening once leaves the write-ahead log a healthy folder has, which the start check looks for.
  const db = new ClassicLevel(folder, { createIfMissing: false });
  await db.open();
  await db.close();
  return { backup };
}

/** LevelDB's repair takes no lock: repairing a folder a running bot uses would corrupt it for real. */
async function refuseIfInUse(folder: string): Promise<void> {
  try {
    await checkDataFolder(folder);
  } catch (error) {
    if (error instanceof LocalStartError && error.code === 'DATA_FOLDER_IN_USE') throw error;
  }
}

async function main(folder: string | undefined): Promise<void> {
  if (!folder) throw new Error('Usage: npx tsx local/repair.ts <data folder>/dynamodb');
  const { backup } = await repairDataFolder(folder);
  console.log(`Copied ${folder} to ${backup}, then repaired ${folder}.`);
  try {
    const { entries } = await checkDataFolder(folder);
    console.log(
      entries > 0
        ? `${folder} reads cleanly now (${entries} LevelDB entries kept): start the bot again (npm start).`
        : `LevelDB could not recover anything in ${folder}: the bot would start with empty state. The backup ${backup} holds the folder as it was.`,
    );
  } catch (error) {
    console.log(`${(error as Error).message}\nThe backup ${backup} holds the folder as it was before the repair.`);
    process.exitCode = 1;
  }
}

if (require.main === module) {
  main(process.argv[2]).catch((error: unknown) => {
    console.error((error as Error).message);
    process.exit(1);
  });
}
