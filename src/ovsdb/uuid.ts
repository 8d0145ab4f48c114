// Random (version 4) UUIDs as flat strings. crypto.randomUUID() builds its text by concatenation, and
// V8 keeps such a string as a rope of ~15 pieces (~500 bytes) until something flattens it: with a UUID
// and a _version in every row, that was a third of the database's memory.
import { randomFillSync } from 'node:crypto';

const HEX = Buffer.from('0123456789abcdef');
const pool = Buffer.alloc(16 * 256);
let poolOffset = pool.length;
const text = Buffer.alloc(36);

/** A new random UUID in canonical lowercase text, as one flat string. */
export function newUuid(): string {
  if (poolOffset === pool.length) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const b = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  let o = 0;
  for (let i = 0; i < 16; i++) {
    if (i === 4 || i === 6 || i === 8 || i === 10) text[o++] = 0x2d;
    text[o++] = HEX[b[i] >> 4];
    text[o++] = HEX[b[i] & 15];
  }
  return text.toString('latin1', 0, 36);
}
