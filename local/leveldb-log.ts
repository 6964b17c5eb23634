import { readFileSync } from 'node:fs';

/**
 * Checks a LevelDB write-ahead log (`NNNNNN.log`) record by record, without opening the database.
 *
 * Why: when LevelDB opens a folder whose log is damaged (truncated, overwritten), it silently drops the damaged
 * records, writes what it could read into a new table file and deletes the log. The writes in it are lost without a
 * word. Checking the log first lets the bot stop and say so while the file is still there to back up and repair.
 *
 * Format (leveldb/doc/log_format.md): 32 KiB blocks of records `crc32c (4, masked) | length (2) | type (1) | data`;
 * a block tail shorter than a header is zero padding; a zero header is preallocated space.
 */
const BLOCK = 32768;
const HEADER = 7;
const FULL = 1;
const LAST = 4;

/** Why the log cannot be trusted, or undefined when every record checks out. */
export function logProblem(file: string): string | undefined {
  const bytes = readFileSync(file);
  let offset = 0;
  while (offset < bytes.length) {
    const left = BLOCK - (offset % BLOCK);
    if (left < HEADER) {
      offset += left;
      continue;
    }
    if (offset + HEADER > bytes.length) return `it ends in the middle of a record header at byte ${offset}`;
    const stored = bytes.readUInt32LE(offset);
    const length = bytes.readUInt16LE(offset + 4);
    const type = bytes[offset + 6] ?? 0;
    if (stored === 0 && length === 0 && type === 0) {
      offset += left;
      continue;
    }
    if (type < FULL || type > LAST) return `it has a record of unknown type ${type} at byte ${offset}`;
    if (HEADER + length > left) return `it has a record longer than its block at byte ${offset}`;
    if (offset + HEADER + length > bytes.length) return `it ends in the middle of a record at byte ${offset}`;
    const actual = mask(crc32c(bytes.subarray(offset + 6, offset + HEADER + length)));
    if (actual !== stored) return `a record's checksum does not match at byte ${offset}`;
    offset += HEADER + length;
  }
  return undefined;
}

const TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0x82f63b78 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

/** CRC-32C (Castagnoli), the checksum LevelDB uses. */
export function crc32c(bytes: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = (TABLE[(crc ^ byte) & 0xff] ?? 0) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** LevelDB stores checksums masked, so a checksum of data that itself holds checksums stays meaningful. */
function mask(crc: number): number {
  return (((crc >>> 15) | (crc << 17)) + 0xa282ead8) >>> 0;
}
