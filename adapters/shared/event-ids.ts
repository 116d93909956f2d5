// Ids the stores make for new events: random (version 4) UUIDs, from the same
// CSPRNG as crypto.randomUUID and drawn in batches as it does. Formatted here
// into one flat string each: crypto.randomUUID joins its UUID from ~20 short
// strings, ~580 bytes of garbage an id, and a first sync makes ~4 ids a device
// (docs/architecture.md, "Fresh pages").
import { randomFillSync } from 'node:crypto';

const BATCH = 256;
const random = Buffer.alloc(16 * BATCH);
let left = 0;
const text = Buffer.alloc(36);
text[8] = text[13] = text[18] = text[23] = 0x2d; // '-'
const HEX = Buffer.from('0123456789abcdef', 'latin1');
// Where each of the 16 bytes' two hex digits go in xxxxxxxx-xxxx-4xxx-Nxxx-xxxxxxxxxxxx.
const AT = [0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34];

/** A new random UUID (RFC 9562 version 4), lower-case. */
export function newEventId(): string {
  if (left === 0) {
    randomFillSync(random);
    left = BATCH;
  }
  const r = (BATCH - left--) * 16;
  for (let i = 0; i < 16; i++) {
    let b = random[r + i]!;
    if (i === 6)
      b = (b & 0x0f) | 0x40; // version 4
    else if (i === 8) b = (b & 0x3f) | 0x80; // variant 10
    const p = AT[i]!;
    text[p] = HEX[b >> 4]!;
    text[p + 1] = HEX[b & 15]!;
  }
  return text.toString('latin1', 0, 36);
}
