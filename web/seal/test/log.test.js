// The log's published vectors (tests/vectors/log.json) through the JavaScript verifier: each proof's
// standing against the trust list's log policy, with WebCrypto and with @noble/curves.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { checkIssuance, parseVkey, publicKeyFromPem, readTrustList, TrustListError } from "../index.js";

const folder = new URL("../../../tests/vectors/", import.meta.url);
const read = (name) => readFileSync(new URL(name, folder));
const log = JSON.parse(read("log.json"));
const vectors = JSON.parse(read("vectors.json"));
const operator = publicKeyFromPem(read("operator.pub.pem").toString("ascii"));
const hex = (text) => Uint8Array.from(Buffer.from(text, "hex"));

for (const prefer of ["webcrypto", "noble"]) {
  test(`every log proof vector (${prefer})`, async () => {
    const trustList = await readTrustList(read("trust-list.json"), [operator], prefer);
    assert.equal(trustList.log.origin, log.origin);
    assert.equal(trustList.log.quorum, 1);
    for (const c of log.proof_cases) {
      const standing = await checkIssuance(c.proof, hex(c.seal), hex(c.kid), trustList.log, prefer);
      assert.deepEqual([standing.state, standing.index], [c.expected.state, c.expected.index], `${c.name}: ${standing.detail}`);
      if (standing.state === "witnessed") assert.deepEqual(standing.witnesses, ["witness.sgs.example"]);
    }
  });
}

test("no proof: the log is unchecked, never witnessed", async () => {
  const trustList = await readTrustList(read("trust-list.json"), [operator]);
  const standing = await checkIssuance(null, hex(log.proof_cases[0].seal), hex(log.proof_cases[0].kid), trustList.log);
  assert.equal(standing.state, "unchecked");
});

test("a verifier key written otherwise is refused", async () => {
  const trustList = JSON.parse(read("trust-list.json"));
  const key = trustList.trust_list.log.key;
  assert.equal((await parseVkey(key)).vkey, key);
  await assert.rejects(parseVkey(key.replace(/\+([0-9a-f]{8})\+/, "+00000000+")), /id does not match/);
  await assert.rejects(parseVkey(`${key}=`), /base64/);
  for (const c of vectors.trust_lists.filter((t) => t.rule === "TRUST-10" && t.expected === "refused")) {
    await assert.rejects(readTrustList(Buffer.from(c.document), [operator]), TrustListError, c.name);
  }
});
