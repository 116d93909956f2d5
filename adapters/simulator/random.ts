// A small seeded PRNG (sfc32, seeded through splitmix32) so that one seed always
// yields the same organization, on every platform and Node version.

const HEX = '0123456789ABCDEF';
const LOWER_HEX = '0123456789abcdef';
const ALNUM = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';

export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number) {
    let s = seed >>> 0;
    const split = () => {
      s = (s + 0x9e3779b9) >>> 0;
      let z = s;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
      return (z ^ (z >>> 16)) >>> 0;
    };
    this.a = split();
    this.b = split();
    this.c = split();
    this.d = split();
    for (let i = 0; i < 12; i++) this.u32(); // warm up past correlated first outputs
  }

  /** A uniform 32-bit unsigned integer. */
  u32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform in [0, 1). */
  next(): number {
    return this.u32() / 4294967296;
  }

  /** Uniform integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** Uniform integer in [lo, hi]. */
  between(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }

  chance(p: number): boolean {
    return this.next() < p;
  }

  pick<T>(xs: readonly T[]): T {
    if (xs.length === 0) throw new Error('Random.pick: empty list');
    return xs[this.int(xs.length)]!;
  }

  /** Picks by weight; weights need not sum to 1. */
  weighted<T>(xs: readonly (readonly [T, number])[]): T {
    let total = 0;
    for (const [, w] of xs) total += w;
    let r = this.next() * total;
    for (const [x, w] of xs) {
      if ((r -= w) < 0) return x;
    }
    return xs[xs.length - 1]![0];
  }

  /** Fisher–Yates, in place. */
  shuffle<T>(xs: T[]): T[] {
    for (let i = xs.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = xs[i]!;
      xs[i] = xs[j]!;
      xs[j] = t;
    }
    return xs;
  }

  hex(n: number): string {
    return this.chars(HEX, n);
  }
  alnum(n: number): string {
    return this.chars(ALNUM, n);
  }
  digits(n: number): string {
    return this.chars('0123456789', n);
  }

  // Built from char codes in one go: concatenating char by char leaves
  // cons-string trees of ~20 bytes a character, which at 100k ids is real memory.
  private chars(alphabet: string, n: number): string {
    const codes = new Array<number>(n);
    for (let i = 0; i < n; i++) codes[i] = alphabet.charCodeAt(this.int(alphabet.length));
    return String.fromCharCode(...codes);
  }

  /** A lower-case, version-4-shaped UUID. */
  uuid(): string {
    const codes = new Array<number>(36);
    let k = 0;
    for (let w = 0; w < 4; w++) {
      let x = this.u32();
      for (let j = 0; j < 8; j++, x >>>= 4) {
        if (k === 8 || k === 13 || k === 18 || k === 23) codes[k++] = 45; // '-'
        let nibble = x & 15;
        if (k === 14)
          nibble = 4; // version
        else if (k === 19) nibble = 8 | (nibble & 3); // variant
        codes[k++] = LOWER_HEX.charCodeAt(nibble);
      }
    }
    return String.fromCharCode(...codes);
  }
}
