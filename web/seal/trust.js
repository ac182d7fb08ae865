// The trust list (spec section 9): an operator-signed JSON document of the scheme's parties (issuers and
// recognising bodies, with their remits), their keys and key windows, and the transparency log's policy.
// Format 4; formats 3 (no log) and 2 (issuers only) are read too.

import { checkPublicUrl } from "./seal.js";
import { kidFor, verifyEd25519 } from "./ed25519.js";
import { LogRefused, readLogPolicy } from "./log.js";

export const FORMAT = 4;
export const READS = [2, 3, 4];
const ROLES = ["issue", "recognise"];
export const MAX_DOCUMENT_BYTES = 4 * 1024 * 1024;

export class TrustListError extends Error {}

export class StrictJsonError extends Error {}

/**
 * JSON as RFC 8259 writes it (spec TRUST-8): UTF-8 without a byte-order mark, no object with a member
 * twice (readers differ on which one counts, and a signature would then vouch for two contents).
 * Throws StrictJsonError for those, SyntaxError or TypeError for what is not JSON or not UTF-8.
 */
export function strictJson(bytes) {
  const text = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true }).decode(bytes);
  if (text.startsWith("\ufeff")) throw new StrictJsonError("a byte-order mark before the JSON");
  const value = JSON.parse(text);
  duplicateMembers(text);
  return value;
}

/** Throw StrictJsonError if an object of ``text`` (JSON that parses) names a member twice. */
function duplicateMembers(text) {
  const stack = []; // per open bracket: a Set of member names for an object, null for an array
  let expectKey = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      let end = i + 1;
      while (text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      const top = stack[stack.length - 1];
      if (expectKey && top) {
        const name = JSON.parse(text.slice(i, end + 1));
        if (top.has(name)) throw new StrictJsonError(`the member ${JSON.stringify(name.slice(0, 40))} appears twice in one object`);
        top.add(name);
      }
      expectKey = false;
      i = end;
    } else if (c === "{") {
      stack.push(new Set());
      expectKey = true;
    } else if (c === "[") {
      stack.push(null);
    } else if (c === "}" || c === "]") {
      stack.pop();
    } else if (c === ",") {
      expectKey = stack[stack.length - 1] instanceof Set;
    }
  }
}

const RFC3339 = /^(\d{4})-(\d{2})-(\d{2})[Tt](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?(?:[Zz]|([+-])(\d{2}):(\d{2}))$/;

/**
 * An RFC 3339 time with a zone as epoch seconds, or null: ``t`` and ``z`` in either case (RFC 3339
 * allows both), never ISO 8601's other forms (basic format, week dates, no seconds, ``+0000``, no zone).
 */
export function rfc3339(text) {
  const found = typeof text === "string" ? RFC3339.exec(text) : null;
  if (!found) return null;
  const [year, month, day, hour, minute, second] = found.slice(1, 7).map(Number);
  const offsetHours = found[8] ? Number(found[9]) : 0;
  const offsetMinutes = found[8] ? Number(found[10]) : 0;
  if (month < 1 || month > 12 || hour > 23 || minute > 59 || second > 59 || offsetHours > 23 || offsetMinutes > 59) return null;
  const ms = Date.UTC(year, month - 1, day, hour, minute, second);
  if (new Date(ms).getUTCDate() !== day) return null; // 30 February and the like
  const fraction = found[7] ? Number(`0${found[7]}`) : 0;
  const offset = (found[8] === "-" ? -1 : 1) * (offsetHours * 3600 + offsetMinutes * 60);
  return ms / 1000 + fraction - offset;
}

const refuse = (message) => {
  throw new TrustListError(message);
};

export const toHex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Base64url without padding, canonical (TRUST-3): what an encoder writes, nothing else. */
export function fromBase64url(text) {
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) throw new Error("not base64url");
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  const bytes = Uint8Array.from(binary, (c) => c.charCodeAt(0));
  const again = btoa(String.fromCharCode(...bytes)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  if (again !== text) throw new Error("not canonical base64url");
  return bytes;
}

/** The 32 raw bytes of an Ed25519 public key in PEM (SubjectPublicKeyInfo). */
export function publicKeyFromPem(pem) {
  const body = pem.replace(/-----(BEGIN|END) PUBLIC KEY-----/g, "").replace(/\s+/g, "");
  const der = Uint8Array.from(atob(body), (c) => c.charCodeAt(0));
  const prefix = [0x30, 0x2a, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x03, 0x21, 0x00];
  if (der.length !== 44 || prefix.some((b, i) => der[i] !== b)) throw new TrustListError("not an Ed25519 public key PEM");
  return der.slice(12);
}

/** Sorted members, no white space, UTF-8 (TRUST-4): the bytes the operator's signature covers. */
export function canonicalJson(value) {
  return new TextEncoder().encode(canonical(value));
}

function canonical(value) {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value !== null && typeof value === "object") {
    const names = Object.keys(value).sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${names.map((n) => `${JSON.stringify(n)}:${canonical(value[n])}`).join(",")}}`;
  }
  return JSON.stringify(value);
}

const moment = (text, where) => {
  const seconds = rfc3339(text);
  if (seconds === null) refuse(`${where} is not an RFC 3339 time with a zone`);
  return seconds;
};

function only(object, names, where) {
  if (object === null || typeof object !== "object" || Array.isArray(object)) refuse(`${where} is not an object`);
  for (const name of Object.keys(object)) if (!names.includes(name)) refuse(`${where}: unexpected member ${name}`);
  for (const name of names) if (!(name in object)) refuse(`${where}: missing ${name}`);
  return object;
}

const string = (value, pattern, where) => {
  if (typeof value !== "string" || !pattern.test(value)) refuse(`${where} is not of the allowed form`);
  return value;
};

/**
 * Read a signed trust list (bytes), checking its signature against the pinned ``operatorKeys`` (raw
 * 32-byte keys): ``{issuedAt, expiresAt, version, origins, keys: Map(kidHex -> {issuer, publicKey, notBefore,
 * notAfter}), recognisers: [{id, name, name_en, country, markets: Set, schemes: Set, keys: Map(kidHex -> {publicKey,
 * notBefore, notAfter})}], log}``: ``keys`` are the issuing parties' (they seal certificates), ``recognisers`` the
 * parties that recognise certificates (section 11), ``log`` the transparency log's policy (TRUST-10:
 * ``{origin, key, witnesses, quorum}``, see log.js) or null.
 */
export async function readTrustList(bytes, operatorKeys, prefer) {
  if (bytes.length > MAX_DOCUMENT_BYTES) refuse(`trust list larger than ${MAX_DOCUMENT_BYTES} bytes`);
  let raw;
  try {
    raw = strictJson(bytes);
  } catch (error) {
    refuse(`not a trust list: ${error instanceof StrictJsonError ? error.message : "not JSON"}`);
  }
  const document = only(raw, ["trust_list", "signature"], "document");
  const declared = document.trust_list !== null && typeof document.trust_list === "object" ? document.trust_list.format : undefined;
  if (!READS.includes(declared)) refuse(`unsupported trust list format ${JSON.stringify(declared) ?? "none"}: this verifier reads formats 2 to ${FORMAT}`);
  const members = declared === 2 ? "issuers" : "parties";
  const head = ["format", "version", "issued_at", "expires_at", "public_urls", members];
  const content = only(document.trust_list, declared === 4 ? [...head, "log"] : head, "trust_list");
  const signature = only(document.signature, ["alg", "kid", "value"], "signature");
  string(signature.alg, /^EdDSA$/, "signature.alg");
  string(signature.kid, /^[0-9a-f]{16}$/, "signature.kid");
  let operator = null;
  for (const key of operatorKeys) if (toHex(await kidFor(key)) === signature.kid) operator = key;
  let value;
  try {
    value = fromBase64url(String(signature.value));
  } catch {
    operator = null;
  }
  if (operator === null) refuse("trust list is signed by a key that is not a pinned operator key");
  if (!(await verifyEd25519(operator, value, canonicalJson(content), prefer))) refuse("trust list signature does not verify");
  if (!Number.isInteger(content.version) || content.version < 0) refuse("trust_list.version is not a non-negative integer");
  if (!Array.isArray(content.public_urls) || content.public_urls.length < 1 || content.public_urls.length > 20) {
    refuse("trust_list.public_urls must hold 1 to 20 origins");
  }
  let origins;
  try {
    origins = new Set(content.public_urls.map((u) => checkPublicUrl(String(u))));
  } catch (error) {
    refuse(`not a trust list: ${error.message}`);
  }
  for (const url of content.public_urls) {
    if (!origins.has(url)) refuse(`public URL ${JSON.stringify(String(url).slice(0, 100))} is not written as its origin`);
  }
  const parties = content[members];
  if (!Array.isArray(parties) || parties.length > 10000) refuse(`trust_list.${members} is not a list`);
  const keys = new Map();
  const listKeys = new Map(); // every party's keys: what may sign a status list (a body's, for its recognitions)
  const recognisers = [];
  const ids = new Set();
  const seen = new Set();
  for (const entry of parties) {
    const party = declared === 2 ? { ...only(entry, ["id", "name", "name_en", "keys"], "issuer"), roles: ["issue"], remit: null } : readParty(entry);
    string(party.id, /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, "party.id");
    if (ids.has(party.id)) refuse(`party ${party.id} is listed twice`);
    ids.add(party.id);
    for (const name of ["name", "name_en"]) {
      // Lengths are characters (code points), not UTF-16 units: an emoji is one.
      if (typeof party[name] !== "string" || [...party[name]].length < 1 || [...party[name]].length > 200) refuse(`party.${name}`);
    }
    if (!Array.isArray(party.keys) || party.keys.length > 100) refuse("party.keys is not a list");
    const held = new Map();
    for (const item of party.keys) {
      const key = only(item, ["kid", "alg", "crv", "x", "not_before", "not_after"], "key");
      string(key.kid, /^[0-9a-f]{16}$/, "key.kid");
      string(key.alg, /^EdDSA$/, "key.alg");
      string(key.crv, /^Ed25519$/, "key.crv");
      string(key.x, /^[A-Za-z0-9_-]{43}$/, "key.x");
      let publicKey;
      try {
        publicKey = fromBase64url(key.x);
      } catch {
        refuse(`key ${key.kid}: x is not base64url`);
      }
      if (toHex(await kidFor(publicKey)) !== key.kid) refuse(`key ${key.kid}: kid does not match the public key`);
      if (seen.has(key.kid)) refuse(`key ${key.kid} appears twice`);
      seen.add(key.kid);
      const notAfter = key.not_after === null ? null : moment(key.not_after, "key.not_after");
      held.set(key.kid, { publicKey, notBefore: moment(key.not_before, "key.not_before"), notAfter });
    }
    const issuer = { id: party.id, name: party.name, name_en: party.name_en };
    if (party.roles.includes("issue")) for (const [kid, key] of held) keys.set(kid, { issuer, ...key });
    for (const [kid, key] of held) listKeys.set(kid, { issuer, ...key });
    if (party.remit !== null) {
      recognisers.push({ ...issuer, country: party.country, markets: new Set(party.remit.markets), schemes: new Set(party.remit.schemes), keys: held });
    }
  }
  let log = null;
  if (content.log !== undefined && content.log !== null) {
    try {
      log = await readLogPolicy(only(content.log, ["origin", "key", "witnesses", "quorum"], "log"));
    } catch (error) {
      if (error instanceof LogRefused) refuse(`not a trust list: log: ${error.message}`);
      throw error;
    }
  }
  return {
    log,
    issuedAt: moment(content.issued_at, "trust_list.issued_at"),
    expiresAt: moment(content.expires_at, "trust_list.expires_at"),
    version: content.version,
    origins,
    keys,
    listKeys,
    recognisers,
  };
}

/** A party of format 3 (TRUST-9): its members, roles known and in order, a remit exactly when it recognises. */
function readParty(entry) {
  const party = only(entry, ["id", "name", "name_en", "country", "roles", "remit", "keys"], "party");
  string(party.country, /^[A-Z]{2}$/, "party.country");
  const roles = party.roles;
  if (!Array.isArray(roles) || roles.length < 1 || roles.some((r) => !ROLES.includes(r))) refuse(`party ${party.id}: roles must be issue and/or recognise`);
  const ordered = ROLES.filter((r) => roles.includes(r));
  if (ordered.length !== roles.length || ordered.some((r, i) => roles[i] !== r)) refuse(`party ${party.id}: roles must be distinct, in order`);
  if ((party.remit !== null) !== roles.includes("recognise")) refuse(`party ${party.id}: a remit goes with the role recognise, and only`);
  if (party.remit !== null) {
    const remit = only(party.remit, ["markets", "schemes"], "remit");
    for (const [name, form, most] of [["markets", /^[A-Z]{2}$/, 249], ["schemes", /^[a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?$/, 20]]) {
      const codes = remit[name];
      if (!Array.isArray(codes) || codes.length < 1 || codes.length > most || new Set(codes).size !== codes.length || codes.some((c) => typeof c !== "string" || !form.test(c))) {
        refuse(`party ${party.id}: remit ${name} must be distinct codes`);
      }
    }
  }
  return party;
}

/** Refuse a list the check time ``at`` (epoch seconds) may not use (TRUST-6, TRUST-7); returns a reason or null. */
export function staleness(trustList, at, maxAgeSeconds, highestSeen = null) {
  if (at >= trustList.expiresAt) return "the trust list has expired: download it again";
  if (at - trustList.issuedAt > maxAgeSeconds) return "the trust list is older than allowed: download it again";
  if (highestSeen !== null && trustList.version < highestSeen) return "the trust list is older than one seen before";
  return null;
}
