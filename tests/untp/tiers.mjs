// The UNTP conformance suite's tier 1 and tier 2 checks (see README.md), offline: contexts and schemas
// from files, never from the network. Prints one JSON line per credential file; exits 1 if any fails.

import { readFile } from "node:fs/promises";
import { fileURLToPath } from "node:url";
import Ajv2020 from "ajv/dist/2020.js";
import addFormats from "ajv-formats";
import jsonld from "jsonld";

const here = (path) => fileURLToPath(new URL(path, import.meta.url));
const STANDARDS = "../../verifier/standards/";
const CONTEXTS = {
  "https://www.w3.org/ns/credentials/v2": here(`${STANDARDS}credentials-v2.jsonld`),
  "https://test.uncefact.org/vocabulary/untp/dcc/0.6.1/": here(`${STANDARDS}untp-dcc-context-0.6.1.jsonld`),
};
const VC_SCHEMA = here("verifiable-credential-schema.json");
// The suite's mapping from a UNTP type and the version in its context to the schema (default-mappings.json).
const UNTP_SCHEMAS = {
  DigitalConformityCredential: {
    version: /^https:\/\/test\.uncefact\.org\/vocabulary\/untp\/dcc\/([^/]+)\/$/,
    files: { "0.6.1": here(`${STANDARDS}untp-dcc-schema-0.6.1.json`) },
  },
};

async function documentLoader(url) {
  const file = CONTEXTS[url];
  if (!file) throw new Error(`loading document failed: ${url} is not bundled (no network here)`);
  return { contextUrl: null, documentUrl: url, document: JSON.parse(await readFile(file, "utf8")) };
}

const ajv = new Ajv2020({ allErrors: true, verbose: true, strict: false, validateSchema: false });
addFormats(ajv);
const validators = new Map();

async function schemaErrors(credential, file) {
  if (!validators.has(file)) validators.set(file, ajv.compile(JSON.parse(await readFile(file, "utf8"))));
  const validate = validators.get(file);
  return validate(credential) ? [] : validate.errors.map((e) => `${e.instancePath || "/"} ${e.message}`);
}

async function check(credential) {
  const failures = {};
  try {
    await jsonld.expand(credential, { safe: true, documentLoader });
  } catch (error) {
    const event = error.details?.event; // safe mode: what it refused (a relative IRI, a dropped term)
    failures.tier1_jsonld = [[error.message ?? String(error), event?.code, event?.details?.type].filter(Boolean).join(": ")];
  }
  const vc = await schemaErrors(credential, VC_SCHEMA);
  if (vc.length) failures.tier1_schema = vc;
  const types = [credential.type].flat();
  const untpType = Object.keys(UNTP_SCHEMAS).find((t) => types.includes(t)) ?? null;
  if (untpType) {
    const { version, files } = UNTP_SCHEMAS[untpType];
    const named = [credential["@context"]].flat().map((c) => version.exec(c)?.[1]).find(Boolean);
    const file = files[named];
    const untp = file ? await schemaErrors(credential, file) : [`no bundled ${untpType} schema for version ${named}`];
    if (untp.length) failures.tier2_schema = untp;
  }
  return { untp_type: untpType, passed: Object.keys(failures).length === 0, failures };
}

let failed = false;
for (const path of process.argv.slice(2)) {
  const result = await check(JSON.parse(await readFile(path, "utf8")));
  failed ||= !result.passed;
  console.log(JSON.stringify({ file: path, ...result }));
}
process.exit(failed ? 1 : 0);
