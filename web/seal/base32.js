// RFC 4648 base32, upper case, unpadded, canonical (spec B32-1 to B32-3): the only text an encoder writes.

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
const VALUE = new Map([...ALPHABET].map((c, i) => [c, i]));

/** The bytes of an unpadded upper-case base32 text; throws Error for anything an encoder would not write. */
export function decodeBase32(text) {
  for (const c of text) {
    if (!VALUE.has(c)) throw new Error("not unpadded RFC 4648 base32");
  }
  if ([1, 3, 6].includes(text.length % 8)) throw new Error("not unpadded RFC 4648 base32");
  const out = new Uint8Array(Math.floor((text.length * 5) / 8));
  let buffer = 0;
  let bits = 0;
  let at = 0;
  for (const c of text) {
    buffer = ((buffer << 5) | VALUE.get(c)) & 0xfff;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out[at++] = (buffer >> bits) & 0xff;
    }
  }
  if (buffer & ((1 << bits) - 1)) throw new Error("base32 with stray bits");
  return out;
}

/** Unpadded upper-case base32 of ``bytes`` (unused bits of the last character zero). */
export function encodeBase32(bytes) {
  let out = "";
  let buffer = 0;
  let bits = 0;
  for (const byte of bytes) {
    buffer = ((buffer << 8) | byte) & 0xffff;
    bits += 8;
    while (bits >= 5) {
      bits -= 5;
      out += ALPHABET[(buffer >> bits) & 31];
    }
  }
  if (bits) out += ALPHABET[(buffer << (5 - bits)) & 31];
  return out;
}
