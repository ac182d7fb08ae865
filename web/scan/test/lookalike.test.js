// Look-alike links: every kind of imitation named, the official origin alone accepted.

import assert from "node:assert/strict";
import { test } from "node:test";
import { classify, decodePunycode, imitates, skeleton } from "../lookalike.js";

const origins = new Set(["https://verify.zhejiang-made.example"]);
const seal = "/C/1ABCDEFGH";

test("the official origin, in any case and with its default port", () => {
  for (const link of ["https://verify.zhejiang-made.example", "HTTPS://VERIFY.ZHEJIANG-MADE.EXAMPLE", "https://verify.zhejiang-made.example:443"]) {
    assert.deepEqual(classify(link + seal, origins), { kind: "official" }, link);
  }
});

test("text that is no link is left to the seal check", () => {
  assert.deepEqual(classify("hello", origins), { kind: "text" });
  assert.deepEqual(classify("1ABCDEF", origins), { kind: "text" });
});

test("imitations are named, with the host as a person reads it", () => {
  const cases = {
    "https://verify.zhejiang-mаde.example": "homoglyph (Cyrillic а) behind punycode",
    "https://xn--vrify-6ve.zhejiang-made.example": "punycode written out",
    "https://verify.zhejiang-made.example.com": "extra label after",
    "https://verify.zhejiang-made.example.checks.io": "extra labels after",
    "https://secure-verify.zhejiang-made.example.net": "the name inside another",
    "https://verify.zhejlang-made.example": "one letter changed",
    "https://verifv.zhejiang-made.exampie": "two letters changed",
    "https://verify.zhejiang-rnade.example": "rn for m",
    "http://verify.zhejiang-made.example": "the official host over http",
    "https://verify.zhejiang-made.example:8443": "the official host on another port",
    "https://zhejiang-made-verify.com": "the registered name inside a label",
  };
  for (const [link, why] of Object.entries(cases)) {
    const found = classify(link + seal, origins);
    assert.equal(found.kind, "other", why);
    assert.equal(found.imitates, "verify.zhejiang-made.example", `${why}: ${JSON.stringify(found)}`);
  }
  const homoglyph = classify("https://verify.zhejiang-mаde.example" + seal, origins);
  assert.match(homoglyph.host, /^verify\.zhejiang-mаde\.example \(verify\.xn--zhejiang-mde-/);
});

test("an unrelated host is not official, but no imitation", () => {
  const found = classify("https://example.org/C/1ABC", origins);
  assert.deepEqual([found.kind, found.host, found.imitates], ["other", "example.org", null]);
});

test("punycode decodes as RFC 3492 says", () => {
  assert.equal(decodePunycode("mnchen-3ya"), "münchen");
  assert.equal(decodePunycode("fiqs8s"), "中国");
  assert.equal(decodePunycode("not-punycode!"), "not-punycode!");
  assert.equal(skeleton("vеrіfу"), skeleton("verify")); // Cyrillic е, і, у
  assert.equal(skeleton("ＶＥＲＩＦＹ"), skeleton("verify")); // full-width, folded by NFKC
  assert.ok(imitates("vеrify.example", "verify.example"));
});
