// Every published vector through the JavaScript verifier, with WebCrypto and with @noble/curves.

import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import {
  publicKeyFromPem,
  readStatusList,
  readTrustList,
  StatusListError,
  staleness,
  verify,
  verifyCose,
  withStatusLists,
} from "../index.js";

const folder = new URL("../../../tests/vectors/", import.meta.url);
const read = (name) => readFileSync(new URL(name, folder));
const vectors = JSON.parse(read("vectors.json"));
const operator = publicKeyFromPem(read("operator.pub.pem").toString("ascii"));

for (const prefer of ["webcrypto", "noble"]) {
  test(`every seal vector (${prefer})`, async () => {
    const trustList = await readTrustList(read("trust-list.json"), [operator], prefer);
    for (const c of vectors.cases) {
      const at = new Date(c.at);
      const result =
        c.input === "cose"
          ? await verifyCose(Uint8Array.from(Buffer.from(c.cose, "hex")), trustList, at, { prefer })
          : await verify(c.qr, trustList, at, { prefer });
      const { verdict, reason, signature_valid: valid, stages } = c.expected;
      assert.deepEqual(
        [result.verdict, result.reason, result.signature.valid, result.stages],
        [verdict, reason, valid, stages],
        `${c.name}: ${result.detail}`,
      );
      if (c.certificate && result.certificate) assert.deepEqual(result.certificate, c.certificate, c.name);
      assert.equal(result.status.state, "unknown");
      assert.equal(result.status.trust_list_age_seconds, Math.trunc((at - Date.parse("2024-03-01T00:00:00Z")) / 1000));
    }
  });

  test(`every trust list vector (${prefer})`, async () => {
    for (const c of vectors.trust_lists) {
      let answer = "accepted";
      try {
        const list = await readTrustList(new TextEncoder().encode(c.document), [operator], prefer);
        if (staleness(list, Date.parse(c.at) / 1000, c.max_age_days * 86400, c.highest_seen)) answer = "refused";
      } catch {
        answer = "refused";
      }
      assert.equal(answer, c.expected, c.name);
    }
  });

  test(`every status list vector (${prefer})`, async () => {
    const trustList = await readTrustList(read("trust-list.json"), [operator], prefer);
    for (const c of vectors.status_list_cases) {
      const result = await verify(c.qr, trustList, new Date(c.at), { prefer });
      const reading = Promise.all(c.status_lists.map((jwt) => readStatusList(jwt, trustList, prefer)));
      if (c.expected.refused) {
        await assert.rejects(reading, StatusListError, c.name);
        continue;
      }
      const listed = withStatusLists(result, trustList, await reading);
      assert.deepEqual(
        [listed.verdict, listed.reason, listed.status.state, listed.status.as_of],
        [c.expected.verdict, c.expected.reason, c.expected.status.state, c.expected.status.as_of],
        c.name,
      );
    }
  });
}
