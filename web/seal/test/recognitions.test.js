// Every recognition vector (spec section 11) through the JavaScript verifier, with WebCrypto and @noble/curves.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { checkRecognition, claimsFromCbor, decodeCose } from "../index.js";
import { publicKeyFromPem, readTrustList } from "../trust.js";

const vectors = JSON.parse(readFileSync(new URL("../../../tests/vectors/vectors.json", import.meta.url)));
const hex = (text) => Uint8Array.from(Buffer.from(text, "hex"));

const operator = publicKeyFromPem(readFileSync(new URL("../../../tests/vectors/operator.pub.pem", import.meta.url), "utf-8"));

/** The recognising bodies of a case's trust list, read as a verifier reads it (the operator's signature first). */
async function bodies(document) {
  return (await readTrustList(new TextEncoder().encode(document), [operator])).recognisers;
}

for (const prefer of ["webcrypto", "noble"]) {
  test(`every recognition vector (${prefer})`, async () => {
    assert.ok(vectors.recognition_cases.length >= 16);
    for (const c of vectors.recognition_cases) {
      const baseCose = hex(c.base_cose);
      assert.equal(claimsFromCbor(decodeCose(baseCose).payload).content.scheme, c.base.scheme);
      const result = await checkRecognition(hex(c.recognition), baseCose, c.base, c.base_verdict, await bodies(c.trust_list), new Date(c.at), { prefer, status: c.status });
      assert.deepEqual([result.verdict, result.reason], [c.expected.verdict, c.expected.reason], `${c.name}: ${result.detail}`);
      if (result.verdict === "valid") assert.equal(result.recogniser.id, "sgs");
    }
  });
}

test("no bytes throw or pass", async () => {
  const c = vectors.recognition_cases[0];
  for (let n = 0; n < 300; n++) {
    const bytes = hex(c.recognition);
    const at = n % bytes.length;
    bytes[at] ^= 1 << (n % 8);
    const result = await checkRecognition(bytes, hex(c.base_cose), c.base, "valid", await bodies(c.trust_list), new Date(c.at));
    assert.notEqual(result.verdict, "valid", `byte ${at} bit ${n % 8}`);
  }
});
