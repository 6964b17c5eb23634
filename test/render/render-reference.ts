import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { chartPng } from '../../shared/render/chart';
import { failingSnapshot, noDataSnapshot } from '../../testkit/snapshots';

/**
 * Renders the reference chart, test/fixtures/snapshot-chart.png, from the failing fixture snapshot: look at it after
 * changing the chart. `npx tsx test/render/render-reference.ts [--no-data]` (the no-data variant goes to /tmp).
 */
async function main(): Promise<void> {
  const noData = process.argv.includes('--no-data');
  const file = noData
    ? join(process.env.TMPDIR ?? '/tmp', 'snapshot-chart-no-data.png')
    : join(__dirname, '..', 'fixtures', 'snapshot-chart.png');
  writeFileSync(file, await chartPng(noData ? noDataSnapshot() : failingSnapshot()));
  console.log(file);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
