// The seal verifier in JavaScript, for browsers and Node 20: an implementation of docs/spec/seal.md.

export { decodeBase32, encodeBase32 } from "./base32.js";
export { CborError, loads } from "./cbor.js";
export { ClaimsError, claimsFromCbor } from "./claims.js";
export { backend, verifyEd25519 } from "./ed25519.js";
export { CheckFailed, checkPublicUrl, decodeCose, decodeSegment, decodeText } from "./seal.js";
export { canonicalJson, publicKeyFromPem, readTrustList, staleness, toHex, TrustListError } from "./trust.js";
export { STAGES, validityState, verify, verifyCose } from "./verify.js";
export { hostDid, isSet, LIST_BITS, listedStatus, listUrl, readStatusList, StatusListError, withStatusLists } from "./statuslist.js";
export { default as tables } from "./tables.js";
export { checkRecognition, RECOGNITION_VERDICT, recognitionFromCbor } from "./recognition.js";
export { checkIssuance, LogRefused, parseProof, parseVkey, readLogPolicy } from "./log.js";
