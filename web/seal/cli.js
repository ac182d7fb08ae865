#!/usr/bin/env node
// node web/seal/cli.js QR_TEXT --trust-list FILE --operator-key PEM [--at TIME] [--max-age DAYS] [--prefer noble]
//     [--status-list FILE ...]   the issuer's downloaded revocation and suspension lists (spec section 8a)
//
// Prints the verdict JSON; exit status 0 for valid, 1 for any other verdict, 2 for a usage error, 3 when
// the trust list itself is refused (unsigned, expired, too old). What `verifier conformance` runs.

import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { readStatusList, withStatusLists } from "./statuslist.js";
import { publicKeyFromPem, readTrustList, staleness } from "./trust.js";
import { verify } from "./verify.js";

function main() {
  let parsed;
  try {
    parsed = parseArgs({
      allowPositionals: true,
      options: {
        "trust-list": { type: "string" },
        "operator-key": { type: "string" },
        at: { type: "string" },
        "max-age": { type: "string", default: "7" },
        prefer: { type: "string" },
        "status-list": { type: "string", multiple: true, default: [] },
      },
    });
  } catch (error) {
    return usage(error.message);
  }
  const { values, positionals } = parsed;
  if (positionals.length !== 1 || !values["trust-list"] || !values["operator-key"]) {
    return usage("give QR_TEXT, --trust-list FILE and --operator-key PEM");
  }
  const at = values.at ? new Date(values.at) : new Date();
  if (Number.isNaN(at.getTime())) return usage(`not a time: ${values.at}`);
  return run(positionals[0], values, at);
}

async function run(text, values, at) {
  let trustList;
  try {
    const operator = publicKeyFromPem(readFileSync(values["operator-key"], "ascii"));
    trustList = await readTrustList(readFileSync(values["trust-list"]), [operator], values.prefer);
  } catch (error) {
    console.error(`verifier-js: ${values["trust-list"]}: ${error.message}`);
    return 3;
  }
  const stale = staleness(trustList, at.getTime() / 1000, Number(values["max-age"]) * 86400);
  if (stale) {
    console.error(`verifier-js: ${values["trust-list"]}: ${stale}`);
    return 3;
  }
  let lists;
  try {
    lists = await Promise.all(values["status-list"].map((f) => readStatusList(readFileSync(f, "utf8"), trustList, values.prefer)));
  } catch (error) {
    return usage(`a status list: ${error.message}`);
  }
  const result = withStatusLists(await verify(text, trustList, at, { prefer: values.prefer }), trustList, lists);
  console.log(JSON.stringify(result, null, 2));
  return result.verdict === "valid" ? 0 : 1;
}

function usage(message) {
  console.error(`verifier-js: ${message}`);
  return 2;
}

const status = await main();
process.exitCode = status;
