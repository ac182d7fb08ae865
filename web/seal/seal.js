// The link and the COSE envelope (spec sections 2 to 4): QR text -> COSE bytes -> the envelope's parts.

import { decodeBase32 } from "./base32.js";
import { CborError, loads, Tag } from "./cbor.js";

export const FORMAT_VERSION = "1";
export const MAX_TEXT_LENGTH = 1451;
export const MAX_COSE_BYTES = Math.floor((MAX_TEXT_LENGTH * 5) / 8);
export const KID_LENGTH = 8;
const SIGNATURE_LENGTH = 64;
const DEFAULT_PORTS = { https: ":443", http: ":80" };
const AROUND = /^[ \t\r\n]+|[ \t\r\n]+$/g;

/** One check refused its input: ``reason`` is the spec's reason code, ``stage`` where it failed. */
export class CheckFailed extends Error {
  constructor(reason, detail, stage) {
    super(`${reason}: ${detail}`);
    this.reason = reason;
    this.detail = detail;
    this.stage = stage;
  }
}

const fail = (reason, detail, stage) => new CheckFailed(reason, detail, stage);

/** ``url`` as an origin (lower case, no trailing slash, no default port); throws on anything else. */
export function checkPublicUrl(url) {
  const origin = url.trim().replace(/\/+$/, "").toLowerCase();
  if (!/^https?:\/\/[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?(?::[0-9]{1,5})?$/.test(origin)) {
    throw new Error(`public URL must be http(s)://host[:port] with no path, got ${JSON.stringify(url)}`);
  }
  const scheme = origin.split("://")[0];
  return origin.endsWith(DEFAULT_PORTS[scheme]) ? origin.slice(0, -DEFAULT_PORTS[scheme].length) : origin;
}

/** The COSE bytes of a scanned QR text whose origin is one of ``origins`` (LINK-1 to LINK-5, B32). */
export function decodeText(text, origins, linkPath = "C") {
  if (text.length > MAX_TEXT_LENGTH + 64) throw fail("too_large", `longer than ${MAX_TEXT_LENGTH} characters`, "link");
  text = text.replace(AROUND, "");
  if (text.length > MAX_TEXT_LENGTH) throw fail("too_large", `longer than ${MAX_TEXT_LENGTH} characters`, "link");
  if (!/^[\x00-\x7f]*$/.test(text)) throw fail("bad_encoding", "characters outside ASCII", "link");
  const cut = text.indexOf("://");
  const rest = cut < 0 ? "" : text.slice(cut + 3);
  const slash = rest.indexOf("/");
  let authority = (slash < 0 ? rest : rest.slice(0, slash)).toLowerCase();
  const path = slash < 0 ? "" : rest.slice(slash + 1);
  const slash2 = path.indexOf("/");
  const kind = slash2 < 0 ? path : path.slice(0, slash2);
  const segment = slash2 < 0 ? "" : path.slice(slash2 + 1);
  const scheme = (cut < 0 ? text : text.slice(0, cut)).toLowerCase();
  if (scheme in DEFAULT_PORTS && authority.endsWith(DEFAULT_PORTS[scheme])) {
    authority = authority.slice(0, -DEFAULT_PORTS[scheme].length);
  }
  if (cut < 0 || kind.toUpperCase() !== linkPath || slash2 < 0 || !origins.has(`${scheme}://${authority}`)) {
    throw fail("not_a_certificate_url", "not a certificate link of a trusted service", "link");
  }
  return decodeSegment(segment);
}

/** The COSE bytes of a link's last path segment (LINK-4, LINK-5, B32-1 to B32-3). */
export function decodeSegment(segment) {
  if (segment.length > MAX_TEXT_LENGTH) throw fail("too_large", `longer than ${MAX_TEXT_LENGTH} characters`, "link");
  if (!segment) throw fail("not_a_certificate_url", "empty code", "link");
  if (!/^[\x00-\x7f]*$/.test(segment)) throw fail("bad_encoding", "characters outside ASCII", "link");
  if (segment[0] !== FORMAT_VERSION) throw fail("unsupported_version", "unknown format version", "link");
  let body = segment.slice(1);
  if (body === body.toLowerCase()) body = body.toUpperCase();
  else if (body !== body.toUpperCase()) throw fail("bad_encoding", "mixed upper and lower case", "link");
  try {
    return decodeBase32(body);
  } catch (error) {
    throw fail("bad_encoding", error.message, "base32");
  }
}

/** A CBOR byte string head and its bytes. */
function bstr(bytes) {
  const n = bytes.length;
  let head;
  if (n < 24) head = [0x40 | n];
  else if (n < 0x100) head = [0x58, n];
  else if (n < 0x10000) head = [0x59, n >> 8, n & 0xff];
  else head = [0x5a, n >>> 24, (n >> 16) & 0xff, (n >> 8) & 0xff, n & 0xff];
  return concat([Uint8Array.from(head), bytes]);
}

export function concat(parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

/** The protected header ``{1: -8, 4: kid}`` in deterministic encoding. */
export function protectedHeader(kid) {
  return concat([Uint8Array.of(0xa2, 0x01, 0x27, 0x04), bstr(kid)]);
}

/** ``["Signature1", protected, h'', payload]`` as CBOR: what the signature covers (SIG-1). */
export function toBeSigned(protectedBytes, payload) {
  const head = Uint8Array.of(0x84, 0x6a, ...new TextEncoder().encode("Signature1"));
  return concat([head, bstr(protectedBytes), Uint8Array.of(0x40), bstr(payload)]);
}

/** The envelope's parts, checked by COSE-1 to COSE-7: ``{protected, kid, payload, signature}``. */
export function decodeCose(data) {
  if (data.length > MAX_COSE_BYTES) throw fail("too_large", `larger than ${MAX_COSE_BYTES} bytes`, "cose");
  let message;
  try {
    message = loads(data, { tag: true });
  } catch (error) {
    if (error instanceof CborError) throw fail("bad_cbor", error.message, "cose");
    throw error;
  }
  if (!(message instanceof Tag) || message.number !== 18) throw fail("bad_cose", "not a tagged COSE_Sign1", "cose");
  const body = message.value;
  if (!Array.isArray(body) || body.length !== 4) throw fail("bad_cose", "COSE_Sign1 is not an array of four", "cose");
  const [protectedBytes, unprotected, payload, signature] = body;
  if (![protectedBytes, payload, signature].every((x) => x instanceof Uint8Array)) {
    throw fail("bad_cose", "COSE_Sign1 fields have the wrong types", "cose");
  }
  if (!(unprotected instanceof Map) || unprotected.size) {
    throw fail("bad_cose", "unprotected header must be empty", "cose");
  }
  if (signature.length !== SIGNATURE_LENGTH) throw fail("bad_cose", "an Ed25519 signature is 64 bytes", "cose");
  const kid = readProtected(protectedBytes);
  const again = concat([Uint8Array.of(0xd2, 0x84), bstr(protectedBytes), Uint8Array.of(0xa0), bstr(payload), bstr(signature)]);
  if (!equal(again, data)) throw fail("bad_cose", "COSE_Sign1 is not in deterministic encoding", "cose");
  return { protected: protectedBytes, kid, payload, signature };
}

function readProtected(bytes) {
  let header;
  try {
    header = loads(bytes);
  } catch (error) {
    if (error instanceof CborError) throw fail("bad_cose", `protected header: ${error.message}`, "cose");
    throw error;
  }
  if (!(header instanceof Map)) throw fail("bad_cose", "protected header is not a map", "cose");
  if (header.has(1) && header.get(1) !== -8) throw fail("unsupported_algorithm", "only EdDSA (-8) is accepted", "cose");
  if (header.size !== 2 || !header.has(1) || !header.has(4)) {
    throw fail("bad_cose", "protected header must hold exactly alg and kid", "cose");
  }
  const kid = header.get(4);
  if (!(kid instanceof Uint8Array) || kid.length !== KID_LENGTH) throw fail("bad_cose", `kid must be ${KID_LENGTH} bytes`, "cose");
  if (!equal(protectedHeader(kid), bytes)) {
    throw fail("bad_cose", "protected header is not in deterministic encoding", "cose");
  }
  return kid;
}
