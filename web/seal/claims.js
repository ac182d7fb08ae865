// The claims (spec section 6): signed CBOR -> the certificate's essential content, every CLAIM rule checked.

import { CborError, loads } from "./cbor.js";
import tables from "./tables.js";

export const DAY = 86400;
const TZ_OFFSET = 8 * 3600; // validity dates are calendar days in China Standard Time
const KEYS = [4, 5, 6, -65537];
const LAST_SECOND = tables.limits.epoch_seconds[1];
const [EARLIEST, LATEST] = tables.limits.dates;
const SCHEMES = new Map(tables.schemes.map((s) => [s.code, s.id]));
const PURPOSES = new Map(tables.purposes.map((p) => [p.code, p.id]));
const UNITS = new Map(tables.units.map((u) => [u.code, u.id]));
const COUNTRIES = new Set(tables.countries.codes);
const CURRENCIES = new Set(tables.currencies.codes);
const whole = (pattern) => new RegExp(`^(?:${pattern})$`, "u");
const NUMBER = whole(tables.patterns.number);
const MODEL = whole(tables.patterns.model);
const AMOUNT = whole(tables.patterns.amount);
const LOCODE = whole(tables.patterns.locode);
const CONTROL = new RegExp(tables.patterns.control_characters, "u");
const CREDIT_SHAPE = whole(tables.credit_code.pattern);
const CREDIT_VALUE = new Map([...tables.credit_code.alphabet].map((c, i) => [c, i]));

export class ClaimsError extends Error {}

const refuse = (message) => {
  throw new ClaimsError(message);
};

/** Epoch seconds of the first second of the ISO date ``day`` in China Standard Time. */
export function dayStart(day) {
  return Date.parse(`${day}T00:00:00Z`) / 1000 - TZ_OFFSET;
}

/** The essential content of a claims set written by the issuer; throws ClaimsError on anything else. */
/** A claims map of exactly ``keys`` (in order) and its times (CLAIM-1 to CLAIM-3; a recognition's too, REC-4). */
export function readClaims(data, keys, where) {
  let claims;
  try {
    claims = loads(data);
  } catch (error) {
    if (error instanceof CborError) refuse(`not CBOR of the allowed shape: ${error.message}`);
    throw error;
  }
  if (!(claims instanceof Map)) refuse(`${where} is not a map`);
  const found = [...claims.keys()];
  if (found.length !== keys.length || found.some((k, i) => k !== keys[i])) {
    refuse(`${where} has unexpected, missing or unordered keys`);
  }
  const exp = int(claims.get(4), "exp", 0, LAST_SECOND);
  const nbf = int(claims.get(5), "nbf", 0, LAST_SECOND);
  const iat = int(claims.get(6), "iat", 0, LAST_SECOND);
  const validFrom = day(nbf, "nbf");
  const validUntil = day(exp - DAY, "exp");
  if (validUntil < validFrom) refuse("exp is not after nbf");
  return { claims, exp, nbf, iat, validFrom, validUntil };
}

/** A certificate number (CLAIM-5). */
export function readNumber(value) {
  const number = text(value, "number", tables.limits.number);
  if (!NUMBER.test(number)) refuse("number has characters outside A-Z 0-9 . / -");
  return number;
}

/** Markets: distinct ISO 3166-1 alpha-2 codes run together (CLAIM-12). */
export function readMarkets(value) {
  const marketsText = text(value, "markets", 2 * tables.limits.markets[1]);
  const markets = marketsText.match(/[A-Z]{2}/g) ?? [];
  if (2 * markets.length !== marketsText.length || new Set(markets).size !== markets.length || !markets.every((m) => COUNTRIES.has(m))) {
    refuse("markets are not distinct ISO 3166-1 alpha-2 codes");
  }
  return markets;
}

export function claimsFromCbor(data) {
  const { claims, exp, nbf, iat, validFrom, validUntil } = readClaims(data, KEYS, "claims");
  const cert = array(claims.get(-65537), "certificate", 6, 8);
  const scheme = code(cert[0], SCHEMES, "scheme");
  const number = readNumber(cert[1]);
  const holder = array(cert[2], "holder", 2, 2);
  const nameEn = text(holder[0], "holder name", tables.limits.holder_name_en);
  const creditCode = text(holder[1], "credit code", tables.limits.credit_code);
  if (!creditCodeValid(creditCode)) refuse("credit code fails its check");
  const products = array(cert[3], "products", ...tables.limits.products).map(product);
  const standards = array(cert[4], "standards", ...tables.limits.standards).map((s) =>
    text(s, "standard", tables.limits.standard),
  );
  const markets = readMarkets(cert[5]);
  // After the markets: the exemption exactly when the scheme is ccc-exemption, then perhaps the status index.
  const fields = scheme === "ccc-exemption" ? 7 : 6;
  if (cert.length < fields) refuse("an exemption is sealed exactly when the scheme is ccc-exemption");
  const exemption = fields === 7 ? readExemption(cert[6]) : null;
  const statusIndex = cert.length > fields ? int(cert[fields], "status index", ...tables.limits.status_index) : null;
  if (cert.length > fields + 1) refuse("the certificate has items after its status index");
  const content = {
    scheme,
    number,
    holder: { name_en: nameEn, credit_code: creditCode },
    products,
    standards: standards.map((code) => ({ code })),
    valid_from: validFrom,
    valid_until: validUntil,
    markets,
    issued_at: new Date(iat * 1000).toISOString().replace(".000Z", "Z"),
  };
  if (exemption) content.exemption = exemption;
  if (statusIndex !== null) content.status_index = statusIndex;
  return { content, iat, nbf, exp };
}

/** GB 32100: the shape, then the check character over the first 17 (CLAIM-7). */
export function creditCodeValid(value) {
  if (value.length !== 18 || !CREDIT_SHAPE.test(value)) return false;
  let total = 0;
  for (let i = 0; i < 17; i++) total += CREDIT_VALUE.get(value[i]) * tables.credit_code.weights[i];
  return value[17] === tables.credit_code.alphabet[(31 - (total % 31)) % 31];
}

/** A packed HS code back in its dotted form, or null (CLAIM-10). */
export function hsCodeFromInt(value) {
  const width = [4, 6, 8, 10].find((w) => value < 10 ** w);
  if (width === undefined) return null;
  const chapter = Math.floor(value / 10 ** (width - 2));
  if (chapter < tables.hs_chapters.first || chapter > tables.hs_chapters.last) return null;
  const digits = String(value).padStart(width, "0");
  const pairs = [];
  for (let i = 4; i < width; i += 2) pairs.push(digits.slice(i, i + 2));
  return [digits.slice(0, 4), ...pairs].join(".");
}

function product(value) {
  const [nameEn, models, hs] = array(value, "product", 3, 3);
  const modelList = array(models, "models", ...tables.limits.models);
  for (const model of modelList) {
    if (typeof model !== "string" || !MODEL.test(model)) refuse("a model has characters outside the model alphabet");
  }
  const hsCode = hsCodeFromInt(int(hs, "hs code", 0, 10 ** 10));
  if (hsCode === null) refuse("not an HS code");
  return { name_en: text(nameEn, "product name", tables.limits.product_name_en), models: modelList, hs_code: hsCode };
}

function readExemption(value) {
  const [purpose, quantity, unit, amount, currency, port] = array(value, "exemption", 6, 6);
  const exemption = {
    purpose: code(purpose, PURPOSES, "purpose"),
    quantity: int(quantity, "quantity", ...tables.limits.quantity),
    unit: code(unit, UNITS, "unit"),
    declared_value: { amount: text(amount, "amount", tables.limits.amount), currency: text(currency, "currency", 3) },
    port_of_entry: text(port, "port", 5),
  };
  const { declared_value: declared, port_of_entry: locode } = exemption;
  if (!AMOUNT.test(declared.amount) || !CURRENCIES.has(declared.currency) || !LOCODE.test(locode) || !COUNTRIES.has(locode.slice(0, 2))) {
    refuse("exemption amount, currency or port is malformed");
  }
  return exemption;
}

export function int(value, where, low, high) {
  if (typeof value !== "number" || !Number.isInteger(value) || value < low || value > high) {
    refuse(`${where} is not an integer in range`);
  }
  return value;
}

export function text(value, where, maxLength) {
  // Lengths count code points, as the reference implementation does.
  if (typeof value !== "string" || [...value].length < 1 || [...value].length > maxLength || CONTROL.test(value)) {
    refuse(`${where} is not one line of 1..${maxLength} characters`);
  }
  return value;
}

export function array(value, where, low, high) {
  if (!Array.isArray(value) || value.length < low || value.length > high) {
    refuse(`${where} is not an array of ${low}..${high} items`);
  }
  return value;
}

function code(value, table, where) {
  if (typeof value !== "number" || !table.has(value)) refuse(`unknown ${where} code`);
  return table.get(value);
}

function day(moment, where) {
  const shifted = moment + TZ_OFFSET;
  if (shifted % DAY !== 0) refuse(`${where} is not the start of a day in China Standard Time`);
  const iso = new Date(shifted * 1000).toISOString().slice(0, 10);
  if (iso < EARLIEST || iso > LATEST) refuse(`${where} is outside the supported dates`);
  return iso;
}
