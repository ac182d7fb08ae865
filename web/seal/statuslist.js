// Status lists offline (spec section 8a): an issuer's downloaded Bitstring Status Lists, each a VC-JOSE
// BitstringStatusListCredential checked against the trust list, say whether a seal that carries its
// status index is revoked or suspended.

import { verifyEd25519 } from "./ed25519.js";
import { rfc3339, StrictJsonError, strictJson } from "./trust.js";
import tables from "./tables.js";

export const LIST_BITS = tables.limits.status_list_bits;
export const PURPOSES = ["revocation", "suspension"];
const MAX_JWT_CHARS = 100_000;
const MAX_ENCODED_CHARS = 200_000;
const JWT = /^eyJ[A-Za-z0-9_-]*\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const KID = /^(did:web:[^#]+):issuers:([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)#([0-9a-f]{16})$/;

export class StatusListError extends Error {}

const refuse = (message) => {
  throw new StatusListError(message);
};

/** The did:web of a public URL: its host, and its port written %3A (as the service's did.py writes it). */
export function hostDid(origin) {
  const url = new URL(origin);
  return `did:web:${encodeURIComponent(url.port ? `${url.hostname}:${url.port}` : url.hostname)}`;
}

/** Where an issuer's list for ``purpose`` lives under ``origin``. */
export const listUrl = (origin, issuer, purpose, number) => `${origin}/status/${issuer}/${purpose}/${number}`;

const BASE64URL = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

function base64urlBytes(text, where) {
  // Canonical (since 1.2): no padding, and the last character's unused bits zero, as every encoder writes.
  if (!/^[A-Za-z0-9_-]*$/.test(text) || text.length % 4 === 1) refuse(`${where} is not base64url`);
  const spare = { 2: 0x0f, 3: 0x03 }[text.length % 4] ?? 0;
  if (text.length && BASE64URL.indexOf(text[text.length - 1]) & spare) refuse(`${where} is not canonical base64url (stray bits)`);
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/") + "=".repeat((4 - (text.length % 4)) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0));
}

function json(bytes, where) {
  let value;
  try {
    value = strictJson(bytes);
  } catch (error) {
    refuse(error instanceof StrictJsonError ? `the list's ${where}: ${error.message}` : `the list's ${where} is not JSON`);
  }
  if (value === null || typeof value !== "object" || Array.isArray(value)) refuse(`the list's ${where} is not an object`);
  return value;
}

/** GZIP → the bitstring, never more than a list's worth read (a compression bomb stops here). */
async function gunzip(packed, limit) {
  const reader = new Blob([packed]).stream().pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks = [];
  let size = 0;
  try {
    while (size <= limit) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    refuse("the encodedList is not GZIP");
  } finally {
    reader.cancel().catch(() => {});
  }
  const bits = new Uint8Array(Math.min(size, limit + 1));
  let at = 0;
  for (const chunk of chunks) {
    bits.set(chunk.subarray(0, bits.length - at), at);
    at += Math.min(chunk.length, bits.length - at);
  }
  return bits;
}

/**
 * A downloaded list (its JWT, or the enveloped JSON's text) checked against ``trustList`` (STATUS-1,
 * STATUS-2): ``{url, issuer, purpose, bits, validFrom}`` (validFrom in epoch seconds); throws
 * StatusListError saying why not.
 */
export async function readStatusList(given, trustList, prefer) {
  let jwt = String(given).trim();
  if (jwt.length > MAX_JWT_CHARS) refuse(`a status list is limited to ${MAX_JWT_CHARS} characters`);
  if (jwt.startsWith("{")) {
    const envelope = json(new TextEncoder().encode(jwt), "envelope");
    const id = typeof envelope.id === "string" ? envelope.id : "";
    if (envelope.type !== "EnvelopedVerifiableCredential" || !id.startsWith("data:application/vc+jwt,")) {
      refuse("not an EnvelopedVerifiableCredential");
    }
    jwt = id.slice("data:application/vc+jwt,".length);
  }
  if (!JWT.test(jwt)) refuse("not a compact JWS");
  const [headerPart, payloadPart, signaturePart] = jwt.split(".");
  const header = json(base64urlBytes(headerPart, "header"), "header");
  if (header.alg !== "EdDSA") refuse("the list's alg is not EdDSA");
  if ("crit" in header) refuse("the list's header names critical extensions this verifier does not know");
  const named = typeof header.kid === "string" ? KID.exec(header.kid) : null;
  const ours = new Set([...trustList.origins].map(hostDid));
  if (!named || !ours.has(named[1])) refuse("the list's kid is not a key of this service's issuers (did:web)");
  const [, didHost, issuer, kid] = named;
  const key = (trustList.listKeys ?? trustList.keys).get(kid); // any party's: a body signs its recognitions' lists
  if (!key || key.issuer.id !== issuer) refuse("the issuer has no such key");
  const signed = new TextEncoder().encode(`${headerPart}.${payloadPart}`);
  if (!(await verifyEd25519(key.publicKey, base64urlBytes(signaturePart, "signature"), signed, prefer))) {
    refuse("the list's signature does not verify");
  }
  const list = json(base64urlBytes(payloadPart, "payload"), "payload");
  const listIssuer = list.issuer !== null && typeof list.issuer === "object" ? list.issuer.id : list.issuer;
  if (listIssuer !== `${didHost}:issuers:${issuer}`) refuse("the list's issuer is not the DID of the key that signed it");
  const subject = list.credentialSubject;
  if (![list.type].flat().includes("BitstringStatusListCredential") || !subject || typeof subject !== "object") {
    refuse("a genuine signature, but not on a BitstringStatusListCredential");
  }
  const encoded = String(subject.encodedList ?? "");
  if (!encoded.startsWith("u") || encoded.length > MAX_ENCODED_CHARS) refuse("not a multibase base64url encodedList");
  const bits = await gunzip(base64urlBytes(encoded.slice(1), "encodedList"), LIST_BITS / 8);
  if (bits.length < LIST_BITS / 8) refuse(`the list has ${bits.length * 8} bits; at least ${LIST_BITS} are required`);
  const validFrom = rfc3339(list.validFrom);
  if (validFrom === null) refuse("the list's validFrom is not an RFC 3339 time with a zone");
  let validUntil = null;
  if ("validUntil" in list) {
    validUntil = rfc3339(list.validUntil);
    if (validUntil === null) refuse("the list's validUntil is not an RFC 3339 time with a zone");
  }
  return { url: String(list.id), issuer, purpose: String(subject.statusPurpose), bits, validFrom, validUntil };
}

/** Whether bit ``index`` of a list is set: bit 0 is the most significant bit of the first byte. */
export const isSet = (bits, index) => (bits[index >> 3] & (0x80 >> (index & 7))) !== 0;

const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/**
 * An offline verdict (``verify``'s result) completed by lists read with ``readStatusList`` (STATUS-3): a
 * seal with its status index whose issuer's two lists are both given gets revoked whatever its dates,
 * then its validity verdict, then suspended; the status as of the later list's validFrom. Anything
 * else is returned as it is.
 */
export function withStatusLists(result, trustList, lists) {
  const index = result.certificate?.status_index;
  const issuer = result.signature.issuer?.id;
  if (index === undefined || index === null || !issuer || !result.validity) return result;
  const listed = listedStatus(issuer, index, trustList, lists, Date.parse(result.checked_at) / 1000);
  if (!listed) return result;
  let reason = result.reason;
  if (listed.state === "revoked") reason = "revoked";
  else if (listed.state === "suspended" && reason === "in_force") reason = "suspended";
  return {
    ...result,
    verdict: tables.reasons[reason],
    reason,
    status: { ...result.status, state: listed.state, as_of: iso(listed.asOf) },
  };
}

/**
 * What ``issuer``'s downloaded lists say of ``index`` at ``at`` (epoch seconds): ``{state: "active" | "revoked" |
 * "suspended", asOf}``, or null when they do not cover it (both purposes are needed). A certificate's index is
 * its issuer's; a recognition's, its body's (spec section 11, REC-11 offline).
 */
export function listedStatus(issuer, index, trustList, lists, at) {
  const number = Math.floor(index / LIST_BITS);
  const bit = index % LIST_BITS;
  const found = {};
  for (const purpose of PURPOSES) {
    const urls = new Set([...trustList.origins].map((origin) => listUrl(origin, issuer, purpose, number)));
    // A list past its validUntil is not used (STATUS-5); of several, the latest validFrom counts, and
    // at the same validFrom a set bit does.
    for (const list of lists) {
      if (list.issuer !== issuer || list.purpose !== purpose || !urls.has(list.url)) continue;
      if (list.validUntil !== null && list.validUntil !== undefined && at >= list.validUntil) continue;
      const read = { set: isSet(list.bits, bit), since: list.validFrom };
      const kept = found[purpose];
      if (!kept || read.since > kept.since || (read.since === kept.since && read.set && !kept.set)) found[purpose] = read;
    }
  }
  if (!found.revocation || !found.suspension) return null;
  const asOf = Math.max(found.revocation.since, found.suspension.since);
  const state = found.revocation.set ? "revoked" : found.suspension.set ? "suspended" : "active";
  return { state, asOf };
}
