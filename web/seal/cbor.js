// A strict CBOR reader for exactly what the seal may hold (spec COSE-2, CLAIM-1), decided in linear time.
//
// Unsigned and negative integers, byte strings, UTF-8 text strings, arrays and maps; a tag only as the
// outermost item and only when allowed; definite lengths, shortest heads, map keys integers or texts,
// unique and in bytewise order of their encodings; no floats or simple values; at most 8 levels and 64
// entries per container; no declared length beyond the bytes left; nothing after the item. What it
// accepts is deterministically encoded. Maps come back as Map (keys keep their order and types).

export const MAX_DEPTH = 8;
export const MAX_ITEMS = 64;

export class CborError extends Error {}

/** A tagged item (only ever the outermost one). */
export class Tag {
  constructor(number, value) {
    this.number = number;
    this.value = value;
  }
}

const SHORTEST = { 24: 24n, 25: 0x100n, 26: 0x10000n, 27: 0x100000000n };
const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** The one item ``data`` (a Uint8Array) holds; a Tag only when ``tag`` allows the outermost one. */
export function loads(data, { tag = false } = {}) {
  const reader = new Reader(data);
  let value;
  if (tag && data.length && data[0] >> 5 === 6) {
    const number = reader.argument();
    value = new Tag(number, reader.item(1));
  } else {
    value = reader.item(0);
  }
  if (reader.pos !== data.length) throw new CborError("bytes after the CBOR item");
  return value;
}

class Reader {
  constructor(data) {
    this.data = data;
    this.pos = 0;
  }

  /** The head's argument in its shortest form: a Number when safe, else a BigInt. */
  argument() {
    const { data, pos } = this;
    if (pos >= data.length) throw new CborError("truncated CBOR");
    const info = data[pos] & 31;
    if (info < 24) {
      this.pos = pos + 1;
      return info;
    }
    if (info > 27) throw new CborError("indefinite length or reserved value");
    const end = pos + 1 + (1 << (info - 24));
    if (end > data.length) throw new CborError("truncated CBOR");
    let value = 0n;
    for (let i = pos + 1; i < end; i++) value = (value << 8n) | BigInt(data[i]);
    if (value < SHORTEST[info]) throw new CborError("a head is not in its shortest form");
    this.pos = end;
    return value <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(value) : value;
  }

  item(depth) {
    const { data, pos } = this;
    if (pos >= data.length) throw new CborError("truncated CBOR");
    const major = data[pos] >> 5;
    if (major >= 6) {
      throw new CborError(major === 6 ? "tags are not allowed here" : "floats and simple values are not allowed");
    }
    const argument = this.argument();
    if (major === 0) return argument;
    if (major === 1) return typeof argument === "bigint" ? -1n - argument : -1 - argument;
    const left = data.length - this.pos;
    if (major <= 3) {
      if (typeof argument === "bigint" || argument > left) {
        throw new CborError("a string is longer than the bytes that follow");
      }
      const start = this.pos;
      this.pos = start + argument;
      const bytes = data.subarray(start, this.pos);
      if (major === 2) return bytes;
      try {
        return UTF8.decode(bytes);
      } catch {
        throw new CborError("a text string is not UTF-8");
      }
    }
    if (depth >= MAX_DEPTH) throw new CborError(`nested deeper than ${MAX_DEPTH} levels`);
    if (typeof argument === "bigint" || argument > MAX_ITEMS) {
      throw new CborError(`more than ${MAX_ITEMS} entries in an array or map`);
    }
    if (argument > left) throw new CborError("an array or map is longer than the bytes that follow");
    if (major === 4) {
      const out = [];
      for (let i = 0; i < argument; i++) out.push(this.item(depth + 1));
      return out;
    }
    const out = new Map();
    let previous = new Uint8Array(0);
    for (let i = 0; i < argument; i++) {
      const start = this.pos;
      if (start < data.length && ![0, 1, 3].includes(data[start] >> 5)) {
        throw new CborError("a map key is not an integer or a text");
      }
      const key = this.item(depth + 1);
      const encoded = data.subarray(start, this.pos);
      if (compareBytes(encoded, previous) <= 0) {
        throw new CborError("map keys are repeated or not in deterministic order");
      }
      previous = encoded;
      out.set(key, this.item(depth + 1));
    }
    return out;
  }
}

/** Bytewise order of two Uint8Arrays: negative, zero or positive. */
export function compareBytes(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    if (a[i] !== b[i]) return a[i] - b[i];
  }
  return a.length - b.length;
}
