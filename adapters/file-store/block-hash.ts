// What a saved index covers, hashed in blocks: the log's bytes cut into blocks
// of `blockBytes` (64 MiB), a SHA-256 per full block and one of the partial
// last block. Unlike one SHA-256 over the whole prefix, the full blocks can be
// checked on another thread while the store reads its index (verify-blocks.ts),
// and only the partial block is hashed again on the store's own thread, which
// carries that hash on through the appends.
import { createHash, type Hash } from 'node:crypto';

export const BLOCK_BYTES = 64 * 1024 * 1024;

/** The first `bytes` bytes of a log: its full blocks' SHA-256s and its partial last block's. */
export interface BlockPrefix {
  readonly bytes: number;
  readonly blockBytes: number;
  /** One hex SHA-256 per full block: `floor(bytes / blockBytes)` of them. */
  readonly blocks: readonly string[];
  /** Hex SHA-256 of the last `bytes mod blockBytes` bytes (of no bytes when there are none). */
  readonly last: string;
}

/** Anything bytes can be fed to as they are read. */
export interface Updatable {
  update(data: Uint8Array): unknown;
}

export class BlockHash implements Updatable {
  private readonly blocks: string[];
  private current = createHash('sha256');
  private inBlock = 0;

  /** `blocks`: full blocks already hashed (a saved index's, once they are checked). */
  constructor(
    readonly blockBytes: number = BLOCK_BYTES,
    blocks: readonly string[] = [],
  ) {
    this.blocks = [...blocks];
  }

  update(data: Uint8Array): this {
    let at = 0;
    // A block ends exactly at its last byte: the partial hash is then of no bytes, as `prefix` reports it.
    while (data.length - at >= this.blockBytes - this.inBlock) {
      const take = this.blockBytes - this.inBlock;
      this.current.update(data.subarray(at, at + take));
      this.blocks.push(this.current.digest('hex'));
      this.current = createHash('sha256');
      this.inBlock = 0;
      at += take;
    }
    if (at < data.length) {
      this.current.update(at === 0 ? data : data.subarray(at));
      this.inBlock += data.length - at;
    }
    return this;
  }

  get bytes(): number {
    return this.blocks.length * this.blockBytes + this.inBlock;
  }

  /** What the bytes so far are, for an index saved now. */
  prefix(): BlockPrefix {
    return { bytes: this.bytes, blockBytes: this.blockBytes, blocks: [...this.blocks], last: partialDigest(this.current) };
  }
}

const partialDigest = (h: Hash): string => h.copy().digest('hex');

/** Whether `p`'s fields agree with one another (a header is not covered by its file's checksum). */
export function isBlockPrefix(p: { bytes: unknown; blockBytes: unknown; blocks: unknown; last: unknown }): p is BlockPrefix {
  const hex = (s: unknown) => typeof s === 'string' && /^[0-9a-f]{64}$/.test(s);
  return (
    typeof p.bytes === 'number' &&
    Number.isSafeInteger(p.bytes) &&
    p.bytes >= 0 &&
    typeof p.blockBytes === 'number' &&
    Number.isSafeInteger(p.blockBytes) &&
    p.blockBytes >= 1024 &&
    p.blockBytes <= 2 ** 30 &&
    Array.isArray(p.blocks) &&
    p.blocks.length === Math.floor(p.bytes / p.blockBytes) &&
    p.blocks.every(hex) &&
    hex(p.last)
  );
}
