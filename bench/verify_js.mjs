// The JavaScript verifier's time per seal in Node: each seal vector verified ROUNDS times, the median per
// vector, then the median over the vectors (and over the valid ones alone). Run by bench/verify_js.py.
//
//   node bench/verify_js.mjs [ROUNDS] [webcrypto|noble]

import { readFileSync } from "node:fs";
import { backend, publicKeyFromPem, readTrustList, verify } from "../web/seal/index.js";

const rounds = Number(process.argv[2] ?? 200);
const prefer = process.argv[3];
const folder = new URL("../tests/vectors/", import.meta.url);
const read = (name) => readFileSync(new URL(name, folder));
const vectors = JSON.parse(read("vectors.json")).cases.filter((c) => c.input === "qr");
const trustList = await readTrustList(read("trust-list.json"), [publicKeyFromPem(read("operator.pub.pem").toString())], prefer);
const median = (xs) => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};

const perVector = [];
const valid = [];
for (const c of vectors) {
  const at = new Date(c.at);
  for (let i = 0; i < 20; i++) await verify(c.qr, trustList, at, { prefer }); // warm up
  const times = [];
  for (let i = 0; i < rounds; i++) {
    const start = process.hrtime.bigint();
    await verify(c.qr, trustList, at, { prefer });
    times.push(Number(process.hrtime.bigint() - start) / 1000);
  }
  perVector.push(median(times));
  if (c.expected.verdict === "valid") valid.push(median(times));
}
console.log(
  JSON.stringify({
    vectors: vectors.length,
    rounds,
    median_us: Math.round(median(perVector) * 10) / 10,
    valid_median_us: Math.round(median(valid) * 10) / 10,
    backend: await backend(prefer),
  }),
);
