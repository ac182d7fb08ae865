// Recognition seals (spec section 11): a partner body's own signature on one exact certificate, checked in
// the order REC-ORDER gives; the first rule that fails gives the verdict.

import { array, ClaimsError, int, readClaims, readMarkets, readNumber, text } from "./claims.js";
import { verifyEd25519 } from "./ed25519.js";
import { CheckFailed, decodeCose, toBeSigned } from "./seal.js";
import tables from "./tables.js";
import { toHex } from "./trust.js";
import { validityState } from "./verify.js";

const KEYS = [4, 5, 6, -65538];

export const RECOGNITION_VERDICT = tables.recognition_reasons;

class Refused extends Error {
  constructor(reason, detail) {
    super(detail);
    this.reason = reason;
  }
}

/** REC-4: a recognition's claims, strictly; throws ClaimsError. */
export function recognitionFromCbor(data) {
  const { claims, iat, validFrom, validUntil } = readClaims(data, KEYS, "recognition claims");
  const item = array(claims.get(-65538), "recognition", 4, 5);
  if (!(item[0] instanceof Uint8Array) || item[0].length !== 32) throw new ClaimsError("the recognised seal's digest is not 32 bytes");
  const number = readNumber(item[1]);
  const markets = readMarkets(item[2]);
  const basis = array(item[3], "basis", 1, 10).map((b) => text(b, "basis", 60));
  const statusIndex = item.length === 5 ? int(item[4], "status index", ...tables.limits.status_index) : null;
  return { base: item[0], number, markets, basis, valid_from: validFrom, valid_until: validUntil, iat, status_index: statusIndex };
}

/**
 * The verdict on a recognition seal (bytes) of the certificate whose seal is ``baseCose`` (bytes), whose content
 * is ``base`` ({scheme, valid_from, valid_until}) and whose verdict is ``baseVerdict``, by one of ``recognisers``
 * ([{id, name, name_en, country, markets: Set, schemes: Set, keys: Map(kidHex -> {publicKey, notBefore,
 * notAfter, withdrawn})}]), at ``at`` (a Date); ``status`` is the recognition's own status where known ("revoked",
 * "suspended"; null: not known, or active). Never throws for any bytes.
 */
export async function checkRecognition(cose, baseCose, base, baseVerdict, recognisers, at, { prefer, status = null } = {}) {
  const found = { recogniser: null, signatureValid: null, recognition: null };
  let reason = "in_force";
  let detail = "";
  try {
    await check(cose, baseCose, base, baseVerdict, recognisers, at.getTime() / 1000, found, prefer, status);
  } catch (error) {
    if (error instanceof Refused) [reason, detail] = [error.reason, error.message];
    else if (error instanceof CheckFailed) [reason, detail] = [error.reason, error.detail];
    else throw error;
  }
  return {
    verdict: RECOGNITION_VERDICT[reason],
    reason,
    detail,
    recogniser: found.recogniser ? { id: found.recogniser.id, name: found.recogniser.name, name_en: found.recogniser.name_en, country: found.recogniser.country } : null,
    signature_valid: found.signatureValid,
    recognition: found.signatureValid ? found.recognition : null,
  };
}

async function check(cose, baseCose, base, baseVerdict, recognisers, now, found, prefer, status) {
  const message = decodeCose(cose); // REC-1: CheckFailed with COSE's reason
  const kid = toHex(message.kid);
  const body = recognisers.find((r) => r.keys.has(kid)); // REC-2
  const key = body?.keys.get(kid);
  if (!key || key.withdrawn) throw new Refused("unknown_key", "no recognising body holds this key (or it was withdrawn)");
  found.recogniser = body;
  found.signatureValid = await verifyEd25519(key.publicKey, message.signature, toBeSigned(message.protected, message.payload), prefer);
  if (!found.signatureValid) throw new Refused("bad_signature", "the signature does not verify"); // REC-3
  let content;
  try {
    content = recognitionFromCbor(message.payload); // REC-4
  } catch (error) {
    if (error instanceof ClaimsError) throw new Refused("bad_claims", error.message);
    throw error;
  }
  found.recognition = content;
  if (content.iat < key.notBefore || (key.notAfter !== null && content.iat >= key.notAfter)) {
    throw new Refused("key_not_valid_at_signing", "signed outside its key's validity window"); // REC-5
  }
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-256", baseCose));
  if (toHex(digest) !== toHex(content.base)) throw new Refused("not_this_certificate", "it recognises another seal than this one"); // REC-6
  const outside = content.markets.filter((m) => !body.markets.has(m)).sort();
  if (outside.length || !body.schemes.has(base.scheme)) {
    const what = outside.length ? `markets ${outside.join(", ")}` : `the scheme ${base.scheme}`;
    throw new Refused("outside_remit", `${body.name_en} may not recognise for ${what}`); // REC-7
  }
  if (content.valid_from < base.valid_from || content.valid_until > base.valid_until) {
    throw new Refused("exceeds_base_validity", "its validity reaches past the certificate's"); // REC-8
  }
  if (baseVerdict !== "valid") throw new Refused("base_not_valid", `the certificate it recognises is ${baseVerdict}`); // REC-9
  if (status === "revoked") throw new Refused("revoked_by_body", `${body.name_en} revoked this recognition`); // REC-11
  if (status === "suspended") throw new Refused("suspended_by_body", `${body.name_en} suspended this recognition`);
  const state = validityState(content.valid_from, content.valid_until, now); // REC-10
  if (state === "expired") throw new Refused("past_validity", "the recognition's validity has ended");
  if (state === "not_yet_valid") throw new Refused("before_validity", "the recognition's validity has not begun");
}
