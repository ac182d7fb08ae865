// The transparency log (docs/spec/log.md) as a verifier checks it offline: C2SP signed notes and
// checkpoints, witnesses' cosignatures (tlog-cosignature), RFC 6962 hashing and RFC 9162 inclusion
// proofs, the log's entries, and C2SP tlog-proof — then a certificate's standing (LOG-3 to LOG-9).

import { verifyEd25519 } from "./ed25519.js";
import { concat } from "./seal.js";

export const ED25519 = 0x01; // the log's signature type
export const COSIGNATURE = 0x04; // a witness's (cosignature/v1)
export const PROOF_HEADER = "c2sp.org/tlog-proof@v1";
const MAX_NOTE_BYTES = 8192;
const MAX_SIGNATURES = 64;
const MAX_LEAF = 1024;
const MAX_PROOF_HASHES = 124;
const MAX_PROOF_BYTES = MAX_NOTE_BYTES + Math.floor((4 * MAX_LEAF) / 3) + 64 * 48 + 64;
const NAME = /^[!-*,-~]{1,255}$/; // printable ASCII without space or plus
const SIZE = /^(0|[1-9][0-9]{0,15})$/; // within what a JavaScript number holds exactly

export class LogRefused extends Error {}

const refuse = (message) => {
  throw new LogRefused(message);
};
const utf8 = (text) => new TextEncoder().encode(text);
const sha256 = async (bytes) => new Uint8Array(await crypto.subtle.digest("SHA-256", bytes));
const equal = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const hex = (bytes) => [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");

/** Standard base64 with padding, as notes write every binary value. */
export const toBase64 = (bytes) => btoa(String.fromCharCode(...bytes));

/** Inverse of toBase64, strict: what an encoder writes and nothing else. */
export function fromBase64(text, what) {
  if (typeof text !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(text) || text.length % 4 !== 0) refuse(`${what} is not base64`);
  let bytes;
  try {
    bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
  } catch {
    refuse(`${what} is not base64`);
  }
  if (toBase64(bytes) !== text) refuse(`${what} is not written as base64 writes it`);
  return bytes;
}

/** A note key's 4-byte id: SHA-256(name || 0x0A || kind || public key)[:4]. */
export async function keyId(name, kind, publicKey) {
  return (await sha256(concat([utf8(name), Uint8Array.of(0x0a, kind), publicKey]))).slice(0, 4);
}

/**
 * A verifier key from its text ``<name>+<id hex>+<base64(kind || key)>``, written exactly so (TRUST-10):
 * ``{name, kind, publicKey, id, vkey}``. Throws LogRefused.
 */
export async function parseVkey(text) {
  if (typeof text !== "string" || text.length > 512) refuse("a verifier key is <name>+<8 hex digits>+<base64 key>");
  const first = text.indexOf("+");
  const second = text.indexOf("+", first + 1);
  const [name, id, key] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (first < 0 || second < 0 || !NAME.test(name) || !/^[0-9a-f]{8}$/.test(id)) refuse("a verifier key is <name>+<8 hex digits>+<base64 key>");
  const raw = fromBase64(key, "the verifier key");
  if (raw.length !== 33 || (raw[0] !== ED25519 && raw[0] !== COSIGNATURE)) refuse("a verifier key here holds an Ed25519 key");
  const publicKey = raw.slice(1);
  const computed = await keyId(name, raw[0], publicKey);
  if (hex(computed) !== id) refuse("the verifier key's id does not match its name and key");
  return { name, kind: raw[0], publicKey, id: computed, vkey: text };
}

/** A signed note: ``{text, signatures: [{name, id, value}]}``; throws LogRefused for anything signed-note does not allow. */
export function parseNote(data) {
  const text = typeof data === "string" ? data : new TextDecoder("utf-8", { fatal: true }).decode(data);
  if (utf8(text).length > MAX_NOTE_BYTES) refuse(`a note here is at most ${MAX_NOTE_BYTES} bytes`);
  if (/[\x00-\x09\x0b-\x1f\x7f]/.test(text)) refuse("a note has no control characters but newlines");
  const split = text.lastIndexOf("\n\n");
  if (split < 0 || !text.endsWith("\n")) refuse("a note is text, a blank line, then signature lines");
  const lines = text.slice(split + 2).split("\n").slice(0, -1);
  if (lines.length < 1 || lines.length > MAX_SIGNATURES) refuse(`a note has 1 to ${MAX_SIGNATURES} signatures`);
  const signatures = lines.map((line) => {
    const found = /^\u2014 ([^ ]+) ([A-Za-z0-9+/=]+)$/.exec(line);
    if (!found || !NAME.test(found[1])) refuse("a signature line is an em dash, a key name and a base64 signature");
    const raw = fromBase64(found[2], "a note signature");
    if (raw.length < 5) refuse("a note signature is a key id and a signature");
    return { name: found[1], id: raw.slice(0, 4), value: raw.slice(4) };
  });
  return { text: text.slice(0, split + 1), signatures };
}

/** The checkpoint a note's text states: ``{origin, size, root}`` (three lines, no extensions). */
export function parseCheckpoint(text) {
  const lines = text.split("\n");
  if (lines.length !== 4 || lines[3] !== "") refuse("a checkpoint here is three lines: origin, size, root hash");
  if (!NAME.test(lines[0])) refuse("a checkpoint's origin is printable, without spaces or '+'");
  if (!SIZE.test(lines[1])) refuse("a checkpoint's size is a decimal number without leading zeros");
  const root = fromBase64(lines[2], "the checkpoint's root hash");
  if (root.length !== 32) refuse("a checkpoint's root hash is 32 bytes");
  return { origin: lines[0], size: Number(lines[1]), root };
}

const signedBy = (note, key) => note.signatures.filter((s) => s.name === key.name && equal(s.id, key.id));

/**
 * A checkpoint note against a log policy ``{origin, key, witnesses, quorum}``: LOG-3 (origin, the log's
 * signature) and LOG-7 (every known witness's cosignature verifies; unknown ones are ignored). Returns
 * ``{checkpoint, cosigned: [names]}``.
 */
export async function checkCheckpoint(note, policy, prefer) {
  const checkpoint = parseCheckpoint(note.text);
  if (checkpoint.origin !== policy.origin) refuse(`the checkpoint is of ${JSON.stringify(checkpoint.origin.slice(0, 80))}, not ${policy.origin}`);
  const bytes = utf8(note.text);
  const own = signedBy(note, policy.key);
  if (own.length === 0) refuse(`the note is not signed by ${policy.key.name}`);
  for (const s of own) if (!(await verifyEd25519(policy.key.publicKey, s.value, bytes, prefer))) refuse(`${policy.key.name}'s signature on the note does not verify`);
  const cosigned = [];
  for (const witness of policy.witnesses) {
    const found = signedBy(note, witness);
    if (found.length > 1) refuse(`${witness.name} cosigned the checkpoint more than once`);
    if (found.length === 0) continue;
    const value = found[0].value;
    if (value.length !== 72) refuse("an Ed25519 cosignature is a timestamp and a 64-byte signature");
    const time = new DataView(value.buffer, value.byteOffset, 8).getBigUint64(0);
    if (time >= 2n ** 63n) refuse("a cosignature's time is a POSIX time");
    const message = utf8(`cosignature/v1\ntime ${time}\n${note.text}`);
    if (!(await verifyEd25519(witness.publicKey, value.slice(8), message, prefer))) refuse(`${witness.name}'s cosignature does not verify`);
    cosigned.push(witness.name);
  }
  return { checkpoint, cosigned };
}

export const leafHash = (leaf) => sha256(concat([Uint8Array.of(0), leaf]));
const nodeHash = (left, right) => sha256(concat([Uint8Array.of(1), left, right]));

/** RFC 9162 2.1.3.2: ``hashed`` is leaf ``index`` of the tree of ``size`` with ``root`` (LOG-8); throws LogRefused. */
export async function checkInclusion(hashed, index, size, path, root) {
  if (!(index >= 0 && index < size) || path.length > MAX_PROOF_HASHES) refuse(`no leaf ${index} in a tree of ${size}`);
  let fn = BigInt(index);
  let sn = BigInt(size - 1);
  let r = hashed;
  for (const p of path) {
    if (sn === 0n) refuse("the inclusion proof is longer than the tree is tall");
    if (fn & 1n || fn === sn) {
      r = await nodeHash(p, r);
      while (!(fn & 1n) && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = await nodeHash(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) refuse("the inclusion proof is shorter than the tree is tall");
  if (!equal(r, root)) refuse("the inclusion proof does not lead to the checkpoint's root");
}

/** An ``issued`` entry (LOG-1, section 2): ``{at, issuer, key, seal, credential}``; throws LogRefused otherwise. */
export function readIssued(leaf) {
  if (leaf.length > MAX_LEAF || leaf.some((b) => b > 0x7e || (b < 0x20 && b !== 0x0a))) refuse("a leaf is at most 1,024 bytes of ASCII");
  const text = new TextDecoder().decode(leaf);
  const found = /^verifier-log\/v1 ([a-z-]+)\n/.exec(text);
  if (!found) refuse("a leaf starts with 'verifier-log/v1'");
  if (found[1] !== "issued") refuse(`the proof's entry is a ${found[1]} event, not an issuance`);
  const digest = "[A-Za-z0-9+/]{43}=";
  const form = new RegExp(
    "^verifier-log/v1 issued\\nat ([0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z)\\n" +
      "issuer ([a-z0-9](?:[a-z0-9-]{0,38}[a-z0-9])?)\\nkey ([0-9a-f]{16})\\n" +
      `seal (${digest})\\ncredential (${digest}|-)\\n$`,
  );
  const fields = form.exec(text);
  if (!fields) refuse("the proof's entry is not an issuance as the log writes it");
  const [, at, issuer, key, seal, credential] = fields;
  if (Number.isNaN(Date.parse(at)) || new Date(at).toISOString().slice(0, 19) !== at.slice(0, 19)) refuse("the entry's time is not a date");
  return { at, issuer, key, seal: fromBase64(seal, "the entry's seal digest"), credential };
}

/** A tlog-proof from its text: ``{leaf, index, path, checkpoint (a note), text}``; throws LogRefused. */
export function parseProof(data) {
  const text = typeof data === "string" ? data : new TextDecoder("utf-8", { fatal: true }).decode(data);
  if (text.length > MAX_PROOF_BYTES) refuse(`a log proof here is at most ${MAX_PROOF_BYTES} bytes`);
  const blank = text.indexOf("\n\n");
  const lines = blank < 0 ? [] : text.slice(0, blank).split("\n");
  if (lines.length < 3 || lines[0] !== PROOF_HEADER) refuse(`a log proof starts ${JSON.stringify(PROOF_HEADER)}, then extra, index and the path`);
  if (!lines[1].startsWith("extra ") || !/^index (0|[1-9][0-9]{0,15})$/.test(lines[2])) refuse("a log proof here carries its leaf as extra data, then its index");
  const leaf = fromBase64(lines[1].slice(6), "the proof's leaf");
  const path = lines.slice(3).map((line) => fromBase64(line, "a hash of the inclusion path"));
  if (leaf.length > MAX_LEAF || path.length > MAX_PROOF_HASHES || path.some((h) => h.length !== 32)) refuse("a log proof's leaf or path is not one this log writes");
  return { leaf, index: Number(lines[2].slice(6)), path, checkpoint: parseNote(text.slice(blank + 2)), text };
}

/**
 * A certificate's standing in the log, offline (docs/verdict.md ``log``): the proof that came with it
 * (null: none) checked against the trust list's ``log`` policy for the seal's COSE bytes and kid (8 bytes).
 */
export async function checkIssuance(proofText, cose, kid, policy, prefer) {
  const standing = { state: "unchecked", origin: policy.origin, index: null, checkpoint_size: null, witnesses: [], quorum: policy.quorum, proof: null, detail: "" };
  if (proofText === null || proofText === undefined) {
    return { ...standing, detail: "no proof of the log came with the certificate: check it online to know" };
  }
  try {
    const proof = parseProof(proofText);
    const entry = readIssued(proof.leaf);
    if (!equal(entry.seal, await sha256(cose))) refuse("the proof's entry is of another seal");
    if (entry.key !== hex(kid)) refuse("the proof's entry names another key than the seal's");
    const { checkpoint, cosigned } = await checkCheckpoint(proof.checkpoint, policy, prefer);
    await checkInclusion(await leafHash(proof.leaf), proof.index, checkpoint.size, proof.path, checkpoint.root);
    const witnessed = cosigned.length >= policy.quorum && cosigned.length > 0;
    return {
      ...standing,
      state: witnessed ? "witnessed" : "under_witnessed",
      index: proof.index,
      checkpoint_size: checkpoint.size,
      witnesses: cosigned,
      proof: proof.text,
      detail: `entry ${proof.index} of the log, in a checkpoint of ${checkpoint.size} entries cosigned by ${cosigned.length} of the ${policy.witnesses.length} witnesses (${policy.quorum} needed)`,
    };
  } catch (error) {
    if (!(error instanceof LogRefused || error instanceof TypeError)) throw error;
    return { ...standing, state: "refused", detail: error.message };
  }
}

/** The trust list's ``log`` member (TRUST-10) as a policy ``{origin, key, witnesses, quorum}``; throws LogRefused. */
export async function readLogPolicy(log) {
  if (typeof log.origin !== "string" || log.origin.length < 1 || log.origin.length > 255) refuse("log.origin is not of the allowed form");
  if (!Array.isArray(log.witnesses) || log.witnesses.length > 100) refuse("log.witnesses is not a list of at most 100");
  if (!Number.isInteger(log.quorum) || log.quorum < 0 || log.quorum > 100) refuse("log.quorum is not of the allowed form");
  const exact = async (text) => {
    const key = await parseVkey(text);
    if (key.vkey !== text) refuse("a verifier key is written <name>+<id>+<base64 key>, nothing around it");
    return key;
  };
  const key = await exact(log.key);
  const witnesses = [];
  for (const text of log.witnesses) witnesses.push(await exact(text));
  if (key.name !== log.origin) refuse("the log's key is not named by its origin");
  if (key.kind !== ED25519 || witnesses.some((w) => w.kind !== COSIGNATURE)) refuse("a log signs with an Ed25519 note key, witnesses cosign with cosignature keys");
  if (new Set(witnesses.map((w) => w.name)).size !== witnesses.length) refuse("a witness is listed twice");
  if (log.quorum > witnesses.length) refuse(`a quorum of ${log.quorum} out of ${witnesses.length} witnesses cannot be met`);
  return { origin: log.origin, key, witnesses, quorum: log.quorum };
}
