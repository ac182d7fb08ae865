// Scanned text -> verdict, offline (spec sections 2 to 8): the checks in the order ORDER-1 gives.

import { ClaimsError, claimsFromCbor, dayStart, DAY } from "./claims.js";
import { verifyEd25519 } from "./ed25519.js";
import { CheckFailed, decodeCose, decodeText, toBeSigned } from "./seal.js";
import tables from "./tables.js";
import { toHex } from "./trust.js";

export const STAGES = ["link", "base32", "cose", "key", "signature", "claims", "key_window", "validity"];

const iso = (seconds) => new Date(seconds * 1000).toISOString().replace(".000Z", "Z");

/** Where the check time ``at`` (epoch seconds) falls in a validity period of CST days (VALID-1). */
export function validityState(validFrom, validUntil, at) {
  if (at < dayStart(validFrom)) return "not_yet_valid";
  if (at >= dayStart(validUntil) + DAY) return "expired";
  return "in_force";
}

/**
 * Check a scanned QR text against a trust list read by ``readTrustList`` at ``at`` (a Date), offline.
 * Returns the verdict JSON of docs/verdict.md, plus ``stages`` (true, false or null per stage).
 */
/**
 * Why a key may be missing: a trust list older than the seal may predate the key (a rotation since).
 * The seal's time comes from claims nobody has verified: it only chooses the hint, never a verdict.
 */
function unknownKeyDetail(payload, trustList) {
  let sealedAt;
  try {
    sealedAt = Date.parse(claimsFromCbor(payload).issued_at) / 1000;
  } catch {
    return "the key is not on the trust list";
  }
  if (sealedAt > trustList.issuedAt) {
    return "the key is not on the trust list, which is older than this seal: the issuer may have a newer key since; download the trust list again";
  }
  return "the key is not on the trust list: never listed, or withdrawn by the operator";
}

export async function verify(text, trustList, at, options = {}) {
  return check(() => decodeText(text, trustList.origins), trustList, at, options);
}

/** Like ``verify``, for the COSE_Sign1 bytes themselves (a PDF's embedded seal): no link, no base32. */
export async function verifyCose(cose, trustList, at, options = {}) {
  return check(() => cose, trustList, at, { ...options, fromCose: true });
}

async function check(read, trustList, at, { prefer, fromCose = false } = {}) {
  const now = at.getTime() / 1000;
  const found = { kid: null, key: null, signatureValid: null, content: null, validity: null };
  const stages = Object.fromEntries(STAGES.map((s) => [s, null]));
  let reason = "in_force";
  let detail = "";
  try {
    const cose = read();
    if (!fromCose) stages.link = stages.base32 = true;
    const message = decodeCose(cose);
    stages.cose = true;
    found.kid = toHex(message.kid);
    const key = trustList.keys.get(found.kid);
    if (!key) throw new CheckFailed("unknown_key", unknownKeyDetail(message.payload, trustList), "key");
    found.key = key;
    stages.key = true;
    found.signatureValid = await verifyEd25519(key.publicKey, message.signature, toBeSigned(message.protected, message.payload), prefer);
    if (!found.signatureValid) throw new CheckFailed("bad_signature", "the signature does not verify", "signature");
    stages.signature = true;
    let claims;
    try {
      claims = claimsFromCbor(message.payload);
    } catch (error) {
      if (error instanceof ClaimsError) throw new CheckFailed("bad_claims", error.message, "claims");
      throw error;
    }
    found.content = claims.content;
    stages.claims = true;
    if (claims.iat < key.notBefore || (key.notAfter !== null && claims.iat >= key.notAfter)) {
      throw new CheckFailed("key_not_valid_at_signing", "the certificate was sealed outside its key's validity window", "key_window");
    }
    stages.key_window = true;
    const { valid_from: from, valid_until: until } = claims.content;
    found.validity = { state: validityState(from, until, now), valid_from: from, valid_until: until };
    if (found.validity.state === "expired") throw new CheckFailed("past_validity", "the validity period has ended", "validity");
    if (found.validity.state === "not_yet_valid") throw new CheckFailed("before_validity", "the validity period has not begun", "validity");
    stages.validity = true;
  } catch (error) {
    if (!(error instanceof CheckFailed)) throw error;
    reason = error.reason;
    detail = error.detail;
    stages[error.stage] = false;
    if (error.stage === "base32") stages.link = true;
  }
  return {
    verdict: tables.reasons[reason],
    reason,
    detail,
    checked_at: iso(now),
    signature: { valid: found.signatureValid, kid: found.kid, issuer: found.key ? found.key.issuer : null },
    validity: found.validity,
    certificate: found.signatureValid ? found.content : null,
    registered: null,
    status: {
      state: "unknown",
      reason: null,
      since: null,
      as_of: null,
      trust_list_issued_at: iso(trustList.issuedAt),
      trust_list_age_seconds: Math.trunc(now - trustList.issuedAt),
    },
    stages,
  };
}
