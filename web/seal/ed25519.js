// Ed25519 signature checks: WebCrypto where the platform has Ed25519 (Node 20, recent browsers), else
// @noble/curves (audited; installed from npm through package-lock.json, never copied in).

let webcrypto = globalThis.crypto?.subtle ? null : false; // null: not yet probed; false: unavailable
let noble = null;
const imported = new Map(); // raw public key (hex) -> its CryptoKey: importing costs more than verifying

async function nobleVerify(publicKey, signature, message) {
  noble ??= (await import("@noble/curves/ed25519.js")).ed25519;
  try {
    return noble.verify(signature, message, publicKey, { zip215: false });
  } catch {
    return false;
  }
}

async function probe() {
  try {
    const key = await crypto.subtle.importKey("raw", new Uint8Array(32).fill(1), { name: "Ed25519" }, false, ["verify"]);
    await crypto.subtle.verify({ name: "Ed25519" }, key, new Uint8Array(64), new Uint8Array(0));
    return true;
  } catch (error) {
    return error?.name !== "NotSupportedError" && !/unrecognized|not supported/i.test(String(error?.message));
  }
}

/** Which implementation verifies: "webcrypto" or "noble". ``prefer`` forces one (tests use it). */
export async function backend(prefer) {
  if (prefer) return prefer;
  if (webcrypto === null) webcrypto = await probe();
  return webcrypto ? "webcrypto" : "noble";
}

/** Whether ``signature`` (64 bytes) is ``publicKey``'s (32 raw bytes) over ``message``. */
export async function verifyEd25519(publicKey, signature, message, prefer) {
  if ((await backend(prefer)) === "noble") return nobleVerify(publicKey, signature, message);
  const id = Array.from(publicKey, (b) => b.toString(16).padStart(2, "0")).join("");
  try {
    let key = imported.get(id);
    if (key === undefined) {
      if (imported.size >= 1024) imported.clear(); // bounded: a trust list holds far fewer keys
      key = await crypto.subtle.importKey("raw", publicKey, { name: "Ed25519" }, false, ["verify"]);
      imported.set(id, key);
    }
    return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, message);
  } catch {
    return false; // a public key that is no curve point verifies nothing
  }
}

/** The 8-byte kid: the first 8 bytes of SHA-256 over the raw public key (KEY-1, TRUST-2). */
export async function kidFor(publicKey) {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", publicKey)).slice(0, 8);
}
