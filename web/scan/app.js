// The official scanner (/scan): reads QR codes from the camera, a photo or pasted text and checks each on
// this device with the seal verifier (web/seal/), the operator-signed trust list and the issuers' signed
// status lists; online (and only if the officer leaves it on) it also asks the registry. The service
// worker (sw.js) keeps the page, its modules, the decoder and the lists for offline use.

import {
  backend,
  checkIssuance,
  checkRecognition,
  decodeCose,
  decodeText,
  listedStatus,
  publicKeyFromPem,
  readStatusList,
  readTrustList,
  recognitionFromCbor,
  staleness,
  toHex,
  verify,
  withStatusLists,
} from "/scan/seal/index.js";
import { verifyEd25519 } from "/scan/seal/ed25519.js";
import { classify } from "./lookalike.js";

const config = JSON.parse(document.getElementById("config").textContent);
const $ = (id) => document.getElementById(id);
const words = config.strings;
// A field that ends with a full stop ("7 ноября 2026 г.") takes the place of the sentence's own.
const t = (key, fields = {}) => (words[key] ?? key).replace(/\{(\w+)\}(\.?)/g, (whole, name, stop) =>
  fields[name] === undefined ? whole : `${fields[name]}${String(fields[name]).endsWith(".") ? "" : stop}`);
const STATUS_MAX_AGE_MS = config.status_lists_max_age_hours * 3_600_000;

// What the page measured, for the officer's trust and for the test suite.
const stats = { verifyMs: [], decodeMs: [], firstFrameAt: null, frames: [], verdicts: [], recognitions: [], log: [] };
window.scanner = stats;

const state = { trustList: null, trustFetchedAt: null, trustProblem: null, lists: [], listsFetchedAt: null, last: null };

// ---------------------------------------------------------------- the lists: trust list, status lists

async function download(url, accept) {
  const response = await fetch(url, { headers: accept ? { Accept: accept } : {}, cache: "no-cache" });
  if (!response.ok) throw new Error(`${url}: ${response.status}`);
  const fetchedAt = Date.parse(response.headers.get("x-fetched-at") ?? response.headers.get("date") ?? "") || Date.now();
  return { body: new Uint8Array(await response.arrayBuffer()), fetchedAt };
}

async function loadTrustList() {
  let trustList;
  let fetchedAt;
  try {
    const operators = config.operator_keys.map(publicKeyFromPem);
    const downloaded = await download("/api/v1/trust-list");
    trustList = await readTrustList(downloaded.body, operators);
    fetchedAt = downloaded.fetchedAt;
  } catch (error) {
    if (!state.trustList) state.trustProblem = error.message; // a list already read stays in use
    return;
  }
  state.trustList = trustList;
  state.trustFetchedAt = fetchedAt;
  state.trustProblem = null;
}

/** Why the trust list may not be used now (unreadable, expired, older than allowed), or null. */
const trustProblem = () =>
  state.trustProblem ?? (state.trustList ? staleness(state.trustList, Date.now() / 1000, config.trust_list_max_age_days * 86400) : "no trust list on this device");

async function loadStatusLists() {
  if (!state.trustList) return;
  try {
    const index = JSON.parse(new TextDecoder().decode((await download("/status/index.json")).body));
    const read = await Promise.all(
      index.lists.map(async (entry) => {
        const { body, fetchedAt } = await download(new URL(entry.url).pathname, "application/vc+jwt");
        return { list: await readStatusList(new TextDecoder().decode(body), state.trustList), fetchedAt };
      }),
    );
    // (Any list refused refuses the download: the page then says the status was not checked, never a guess.)
    state.lists = read.map((r) => r.list);
    state.listsFetchedAt = read.length ? Math.min(...read.map((r) => r.fetchedAt)) : null;
  } catch (error) {
    console.warn("status lists:", error.message); // kept as they were; their age says how old
  }
}

function ago(ms) {
  const format = new Intl.RelativeTimeFormat(config.language, { numeric: "auto" });
  const minutes = Math.round((ms - Date.now()) / 60_000);
  if (Math.abs(minutes) < 90) return format.format(minutes, "minute");
  const hours = Math.round(minutes / 60);
  return Math.abs(hours) < 48 ? format.format(hours, "hour") : format.format(Math.round(hours / 24), "day");
}

function showAges() {
  const trust = state.trustFetchedAt ? ago(state.trustFetchedAt) : t("scan_never");
  const lists = state.listsFetchedAt ? ago(state.listsFetchedAt) : t("scan_never");
  $("ages").textContent = t("scan_ages", { trust, lists });
  $("ages").classList.toggle("stale", listsStale() || Boolean(trustProblem()));
}

const listsStale = () => state.listsFetchedAt === null || Date.now() - state.listsFetchedAt > STATUS_MAX_AGE_MS;

// ---------------------------------------------------------------- checking one code

const TONE = { valid: "good", suspended: "warn", expired: "warn", not_yet_valid: "warn" };

function kind(certificate) {
  return words[`scheme_${certificate.scheme}`] ?? certificate.scheme;
}

function day(iso) {
  return new Intl.DateTimeFormat(config.language, { dateStyle: "long", timeZone: "Asia/Shanghai" }).format(new Date(`${iso}T12:00:00+08:00`));
}

/** The day of an instant (a status change) in China Standard Time: the day /c/ and the PDF give it. */
function dayOf(instant) {
  return new Intl.DateTimeFormat(config.language, { dateStyle: "long", timeZone: "Asia/Shanghai" }).format(new Date(instant));
}

/** The verdict as a sentence in the page's language (the registry's answer gives since when, and why). */
function sentence(result) {
  const c = result.certificate;
  const fields = c ? { kind: kind(c), until: day(c.valid_until), from: day(c.valid_from) } : { kind: "" };
  const status = result.status;
  if ((result.verdict === "revoked" || result.verdict === "suspended") && !status.since) {
    return t(`scan_${result.verdict}`, fields); // from the status lists: no date, no reason
  }
  const reason = words[`reason_${status.reason}`] ?? status.reason ?? "";
  return t(result.verdict, { ...fields, since: status.since ? dayOf(status.since) : "", reason });
}

function note(text, role) {
  const div = document.createElement("div");
  div.className = "note";
  if (role) div.setAttribute("role", role);
  div.textContent = text;
  $("notes").append(div);
}

function row(label, value) {
  const wrapper = document.createElement("div");
  const dt = document.createElement("dt");
  const dd = document.createElement("dd");
  dt.textContent = label;
  dd.textContent = value;
  wrapper.append(dt, dd);
  $("fields").append(wrapper);
}

/** "24 pieces", "24 件", "24 килограмма": the catalogue's plural forms, else CLDR's unit names. */
function quantity(count, unit) {
  const number = new Intl.NumberFormat(config.language).format(count);
  const form = words[`unit_${unit}_${new Intl.PluralRules(config.language).select(count)}`] ?? words[`unit_${unit}_other`];
  if (form) return form.replace("{n}", number);
  const cldr = { kg: "kilogram", m: "meter", l: "liter" }[unit];
  return cldr ? new Intl.NumberFormat(config.language, { style: "unit", unit: cldr, unitDisplay: "long" }).format(count) : `${number} ${unit}`;
}

function showFields(certificate) {
  $("fields").replaceChildren();
  $("details").hidden = !certificate;
  if (!certificate) return;
  const regions = new Intl.DisplayNames([config.language], { type: "region" });
  row(words.number ?? "number", certificate.number);
  row(words.holder ?? "holder", `${certificate.holder.name_en} (${certificate.holder.credit_code})`);
  for (const p of certificate.products) row(words.products ?? "products", `${p.name_en} — ${p.models.join(", ")} (HS ${p.hs_code})`);
  row(words.standards ?? "standards", certificate.standards.map((s) => s.code).join("; "));
  row(words.markets ?? "markets", new Intl.ListFormat(config.language).format(certificate.markets.map((m) => regions.of(m) ?? m)));
  row(words.validity, t("validity_range", { from: day(certificate.valid_from), until: day(certificate.valid_until) }));
  const e = certificate.exemption;
  if (e) {
    row(words.quantity ?? "quantity", quantity(e.quantity, e.unit));
    row(words.purpose ?? "purpose", words[`purpose_${e.purpose}`] ?? e.purpose);
    row(words.declared_value ?? "value", new Intl.NumberFormat(config.language, { style: "currency", currency: e.declared_value.currency }).format(Number(e.declared_value.amount)));
    row(words.port_of_entry ?? "port", e.port_of_entry);
  }
}

function show(tone, text) {
  $("answer").hidden = false;
  $("verdict").className = `verdict ${tone}`;
  $("sentence").textContent = text;
  $("notes").replaceChildren();
}

/** The device's own verdict for ``text``, with the status lists applied when they may be. */
async function checkHere(text) {
  const started = performance.now();
  const result = await verify(text, state.trustList, new Date());
  let listed = result;
  let why = null;
  if (result.verdict === "valid" || result.verdict === "expired" || result.verdict === "not_yet_valid") {
    if (result.certificate?.status_index === undefined) why = t("scan_no_index");
    else if (state.listsFetchedAt === null) why = t("scan_lists_missing");
    else if (listsStale()) why = t("scan_lists_stale", { age: ago(state.listsFetchedAt) });
    else {
      listed = withStatusLists(result, state.trustList, state.lists);
      // Lists downloaded, but none of them covers this seal (an issuer or a list newer than the
      // download): no status, never a green "in force".
      if (listed.status.state === "unknown") why = t("scan_lists_not_covering");
    }
  }
  stats.verifyMs.push(performance.now() - started);
  return { result: listed, why };
}

async function askRegistry(text) {
  const response = await fetch("/api/v1/verify", {
    method: "POST",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify({ qr: text }),
    cache: "no-store",
  });
  if (!response.ok) throw new Error(String(response.status));
  return response.json();
}

async function check(text, source) {
  const origins = new Set([...config.public_urls, ...(state.trustList ? state.trustList.origins : [])]);
  const found = classify(text, origins);
  if (found.kind === "other") {
    show("bad", t("scan_not_official", { host: found.host }));
    if (found.imitates) note(t("scan_imitation", { host: found.host, official: found.imitates }), "alert");
    showFields(null);
    record("not_official", source, found);
    return;
  }
  const problem = trustProblem();
  if (problem) {
    show("grey", t("scan_trust_refused", { why: problem }));
    showFields(null);
    record("no_trust_list", source);
    return;
  }
  let recognition = null;
  try {
    recognition = decodeText(text, state.trustList.origins, "R"); // a recognition's own link (spec section 11)
  } catch {
    // a certificate's link, or not a link at all: checked as such below
  }
  if (recognition) {
    await checkRecognitionLink(recognition, source);
    return;
  }
  const { result, why } = await checkHere(text);
  const certificate = result.certificate;
  if (result.signature.valid && certificate) state.last = { cose: decodeText(text, state.trustList.origins), certificate, verdict: result.verdict };
  if (why && result.verdict === "valid") {
    show("grey", t("scan_genuine_unchecked", { why }));
  } else {
    show(TONE[result.verdict] ?? "bad", sentence(result));
    if (result.status.as_of && state.listsFetchedAt) note(t("scan_lists_as_of", { age: ago(state.listsFetchedAt) }));
  }
  const next = words[`next_${result.verdict}`];
  if (next) note(next);
  showFields(result.verdict === "invalid" ? null : certificate);
  const before = kept()[text];
  await showRecognitions(text, certificate, result.verdict, result.signature.valid ? before?.recognitions ?? [] : []);
  record(result.verdict, source, { reason: result.reason, status: result.status.state, unchecked: Boolean(why) });
  collect(text, result.verdict, certificate?.number ?? null);
  if (result.signature.valid) await showLog(text, null); // a proof kept on this device from an earlier answer
  if ($("online").checked && navigator.onLine !== false) {
    try {
      const answer = await askRegistry(text);
      if (answer.registered && answer.signature?.valid) {
        keep(text, answer.recognitions ?? [], answer.log?.proof ?? kept()[text]?.log ?? null);
        await showRecognitions(text, answer.certificate, answer.verdict, answer.recognitions ?? [], true);
        await showLog(text, answer.log ?? null);
      }
      if (answer.registered && answer.verdict !== result.verdict) {
        // The registry issued this certificate: its answer leads (one verdict on the page), and what
        // this device found follows it, or what happened to the key when that is why they differ.
        show(TONE[answer.verdict] ?? "bad", sentence(answer));
        if (answer.signature?.key_withdrawn_at && words.key_withdrawn) note(words.key_withdrawn, "alert");
        else note(t("scan_device_said", { answer: sentence(result) }));
        showFields(answer.certificate);
      } else {
        if (answer.signature?.key_withdrawn_at && words.key_withdrawn) note(words.key_withdrawn, "alert");
        note(t("scan_registry", { answer: sentence(answer) }), "status");
      }
      record(`registry:${answer.verdict}`, source);
    } catch {
      note(t("scan_registry_unreachable"));
      record("registry:unreachable", source);
    }
  }
}

// ---------------------------------------------------------------- recognitions

// What the registry's answers carried (spec section 11: each a partner body's seal on this very certificate),
// kept on the device by the certificate's link, so that a scan offline checks them too. The newest 200.
const KEPT = "scan.recognitions";
const KEPT_MAX = 200;

function kept() {
  try {
    return JSON.parse(localStorage.getItem(KEPT) ?? "{}");
  } catch {
    return {};
  }
}

function keep(text, recognitions, log = null) {
  const all = kept();
  delete all[text];
  all[text] = { at: Date.now(), recognitions, log };
  const names = Object.keys(all);
  for (const name of names.slice(0, Math.max(0, names.length - KEPT_MAX))) delete all[name];
  try {
    localStorage.setItem(KEPT, JSON.stringify(all));
  } catch {
    // a full store keeps what it had
  }
}

/**
 * The transparency log's word on the certificate's issuance (docs/spec/log.md): the proof the registry gave,
 * or the one kept from an earlier answer, checked on this device against the trust list's log and its
 * witnesses (so a registry cannot claim an entry the witnesses never saw); the registry's word alone when
 * it has no proof to give (pending, or issued before the log began).
 */
async function showLog(text, answer) {
  $("logged")?.remove();
  const policy = state.trustList?.log;
  const last = state.last;
  if (!policy || !last) return;
  const proof = answer ? answer.proof ?? null : kept()[text]?.log ?? null;
  let standing = answer && !proof ? answer : null;
  if (proof) standing = await checkIssuance(proof, last.cose, decodeCose(last.cose).kid, policy);
  if (!standing || !words[`log_${standing.state}`]) return;
  stats.log.push(standing.state);
  note(t(`log_${standing.state}`, { index: standing.index ?? "", witnesses: (standing.witnesses ?? []).join(", ") }), standing.state === "refused" ? "alert" : "status");
  const shown = $("notes")?.lastElementChild;
  if (shown) shown.id = "logged";
}

const fromBase64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

/**
 * A recognition's own status from its body's status lists on this device (REC-11 offline), when it carries a
 * status index and the lists are current and cover it; else null (then what the registry said last stands).
 */
function ownStatus(seal) {
  if (listsStale()) return null;
  try {
    const message = decodeCose(seal);
    const index = recognitionFromCbor(message.payload).status_index;
    const body = state.trustList.listKeys.get(toHex(message.kid))?.issuer.id;
    if (index === null || index === undefined || !body) return null;
    return listedStatus(body, index, state.trustList, state.lists, Date.now() / 1000)?.state ?? null;
  } catch {
    return null; // a damaged seal: its check says so
  }
}

/**
 * Each recognition of the certificate ``text`` names, checked on this device (section 11): its body's key from the
 * trust list, this very seal, the remit, the span of validity, after the certificate's ``verdict``; its status
 * as the registry said. Those only declared by the issuer are said to be so: never signed by the body.
 */
async function showRecognitions(text, certificate, verdict, recognitions, fresh = false) {
  $("recognitions").replaceChildren();
  $("recognised").hidden = !recognitions.length;
  stats.recognitions = [];
  if (!recognitions.length || !certificate) return;
  let baseCose;
  try {
    baseCose = decodeText(text, state.trustList.origins);
  } catch {
    return;
  }
  const regions = new Intl.DisplayNames([config.language], { type: "region" });
  const base = { scheme: certificate.scheme, valid_from: certificate.valid_from, valid_until: certificate.valid_until };
  for (const given of recognitions) {
    let checked = { verdict: "declared", reason: "not_signed", recogniser: given.recogniser };
    if (given.seal) {
      const seal = fromBase64(given.seal);
      const known = fresh ? given.status?.state : (ownStatus(seal) ?? given.status?.state); // REC-11
      const status = known && known !== "active" ? known : null;
      checked = await checkRecognition(seal, baseCose, base, verdict, state.trustList.recognisers, new Date(), { status });
    }
    const body = checked.recogniser ?? given.recogniser ?? {};
    const name = body.name_en ?? body.id ?? "?";
    const shown = body.country ? `${name} (${body.country})` : name;
    const markets = new Intl.ListFormat(config.language).format((checked.recognition?.markets ?? given.markets ?? []).map((m) => regions.of(m) ?? m));
    const fields = { body: shown, markets, number: checked.recognition?.number ?? given.number ?? "" };
    if (given.valid_until) fields.until = day(given.valid_until);
    if (given.valid_from) fields.from = day(given.valid_from);
    const wrapper = document.createElement("div");
    wrapper.className = `rec ${checked.verdict === "valid" ? "rec-good" : ["lapsed", "suspended", "expired", "not_yet_valid", "declared"].includes(checked.verdict) ? "rec-warn" : "rec-bad"}`;
    wrapper.dataset.verdict = checked.verdict;
    const dt = document.createElement("dt");
    const dd = document.createElement("dd");
    dt.textContent = shown;
    dd.textContent = t(`rec_${checked.verdict}`, fields) + (given.seal ? ` ${t("scan_rec_checked_here")}` : "");
    wrapper.append(dt, dd);
    $("recognitions").append(wrapper);
    stats.recognitions.push({ body: body.id ?? name, verdict: checked.verdict, reason: checked.reason, onDevice: Boolean(given.seal) });
  }
}

/**
 * A recognition's own link (what a partner body prints on its certificate), checked on this device against the
 * certificate scanned just before: a recognition proves nothing alone (REC-6 needs that certificate's seal).
 */
async function checkRecognitionLink(cose, source) {
  const last = state.last;
  showFields(null);
  $("recognitions").replaceChildren();
  $("recognised").hidden = true;
  if (!last) {
    show("grey", t("scan_rec_first"));
    record("recognition:no_certificate", source);
    return;
  }
  const base = { scheme: last.certificate.scheme, valid_from: last.certificate.valid_from, valid_until: last.certificate.valid_until };
  const checked = await checkRecognition(cose, last.cose, base, last.verdict, state.trustList.recognisers, new Date());
  if (checked.reason === "not_this_certificate") {
    show("bad", t("scan_rec_other", { number: last.certificate.number }));
  } else {
    const body = checked.recogniser ?? {};
    const regions = new Intl.DisplayNames([config.language], { type: "region" });
    const content = checked.recognition ?? {};
    const fields = {
      body: body.country ? `${body.name_en} (${body.country})` : body.name_en ?? "?",
      markets: new Intl.ListFormat(config.language).format((content.markets ?? []).map((m) => regions.of(m) ?? m)),
      number: content.number ?? "",
    };
    if (content.valid_until) fields.until = day(content.valid_until); // calendar days, as the claims read them
    if (content.valid_from) fields.from = day(content.valid_from);
    const tone = checked.verdict === "valid" ? "good" : ["lapsed", "suspended", "expired", "not_yet_valid"].includes(checked.verdict) ? "warn" : "bad";
    show(tone, t(`rec_${checked.verdict}`, fields));
    note(t("scan_rec_of", { number: last.certificate.number }));
  }
  record(`recognition:${checked.verdict}`, source, { reason: checked.reason });
}

function record(verdict, source, extra = {}) {
  stats.verdicts.push({ verdict, source, at: performance.now(), ...extra });
  document.body.dataset.verdict = verdict;
}

// ---------------------------------------------------------------- a declaration's codes, and its signed report

// The codes checked for one declaration, kept on the device (offline too) until the officer makes the
// report: the service checks them all again in one batch and signs what it found (issue 31).
const DECLARATION = "scan.declaration";
const DECLARATION_MAX = 1000; // a batch's items

function declaration() {
  try {
    const found = JSON.parse(localStorage.getItem(DECLARATION) ?? "null");
    return Array.isArray(found?.items) ? found : { items: [] };
  } catch {
    return { items: [] };
  }
}

function saveDeclaration(found) {
  localStorage.setItem(DECLARATION, JSON.stringify(found));
  showDeclaration();
}

function collect(text, verdict, number) {
  if (!$("collect").checked) return;
  const found = declaration();
  if (found.items.some((item) => item.text === text) || found.items.length >= DECLARATION_MAX) return;
  found.items.push({ text, verdict, number });
  saveDeclaration(found);
}

function showDeclaration() {
  const { items } = declaration();
  $("listed").textContent = t("scan_listed", { n: items.length });
  $("list").replaceChildren(
    ...items.map((item) => {
      const line = document.createElement("li");
      const number = document.createElement("bdi");
      number.className = "mono";
      number.textContent = item.number ?? "—";
      const verdict = document.createElement("span");
      verdict.className = `tag ${TONE[item.verdict] ?? "bad"}`;
      verdict.textContent = words[`verdict_${item.verdict}`] ?? item.verdict;
      line.append(number, " ", verdict);
      return line;
    }),
  );
  $("make-report").disabled = items.length === 0;
}

async function makeReport() {
  const { items } = declaration();
  if (!items.length) return;
  const state = $("report-state");
  if (navigator.onLine === false) {
    state.textContent = t("scan_report_offline");
    return;
  }
  const body = { items: items.map((item) => item.text), report: true };
  const reference = $("reference").value.trim();
  if (reference) body.reference = reference;
  try {
    const response = await fetch("/api/v1/verify/batch", {
      method: "POST",
      headers: { "Content-Type": "application/json", Accept: "application/json" },
      body: JSON.stringify(body),
      cache: "no-store",
    });
    if (!response.ok) throw new Error(String(response.status));
    const { report } = await response.json();
    const page = new URL(report.url).pathname;
    const open = document.createElement("a");
    open.href = page;
    open.textContent = t("scan_report_open");
    const pdf = document.createElement("a");
    pdf.href = `${page}/pdf`;
    pdf.download = `verification-report-${report.id}.pdf`;
    pdf.textContent = t("scan_report_pdf");
    const said = document.createElement("span");
    said.textContent = t("scan_report_made", { id: report.id });
    state.replaceChildren(said, " ", open, " · ", pdf);
    state.dataset.report = report.id;
    stats.report = report.id;
  } catch (error) {
    state.textContent = t("scan_report_failed", { why: error.message });
  }
}

// ---------------------------------------------------------------- reading codes: camera, photo, paste

let decoder = null;

/** A QR reader: the platform's BarcodeDetector where it reads QR codes, else zxing-wasm (from npm). */
async function qrReader() {
  if (decoder) return decoder;
  if ("BarcodeDetector" in window && (await BarcodeDetector.getSupportedFormats()).includes("qr_code")) {
    const detector = new BarcodeDetector({ formats: ["qr_code"] });
    decoder = async (source) => (await detector.detect(source)).map((b) => b.rawValue);
    return decoder;
  }
  const zxing = await import(config.decoder);
  zxing.prepareZXingModule({ overrides: { locateFile: (path, prefix) => (path.endsWith(".wasm") ? config.decoder_wasm : prefix + path) } });
  const canvas = document.createElement("canvas");
  const context = canvas.getContext("2d", { willReadFrequently: true });
  decoder = async (source) => {
    const width = source.videoWidth ?? source.width;
    const height = source.videoHeight ?? source.height;
    const scale = Math.min(1, 1280 / Math.max(width, height));
    canvas.width = Math.round(width * scale);
    canvas.height = Math.round(height * scale);
    context.drawImage(source, 0, 0, canvas.width, canvas.height);
    const image = context.getImageData(0, 0, canvas.width, canvas.height);
    const found = await zxing.readBarcodes(image, { formats: ["QRCode"], tryHarder: true, maxNumberOfSymbols: 1 });
    return found.filter((b) => b.isValid).map((b) => b.text);
  };
  return decoder;
}

let lastText = null;
let lastAt = 0;

const DECODE_EVERY_MS = 90; // at most ~11 decodes a second: a 30 fps camera gives every third frame

/** Decode the frame on show; a code not seen in the last 4 s (or a new one) is checked. */
async function decodeFrame(video, read) {
  const started = performance.now();
  let texts = [];
  try {
    texts = await read(video);
  } catch (error) {
    console.warn("decoder:", error.message);
  }
  stats.decodeMs.push(performance.now() - started);
  if (stats.decodeMs.length > 1000) stats.decodeMs.splice(0, 500);
  const text = texts[0];
  const now = performance.now();
  if (text && (text !== lastText || now - lastAt > 4000)) {
    lastText = text;
    lastAt = now;
    await check(text, "camera");
  }
}

async function camera() {
  const video = $("video");
  let stream;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: { ideal: "environment" }, width: { ideal: 1280 } }, audio: false });
  } catch {
    $("camera-state").textContent = t("scan_camera_off");
    return;
  }
  video.srcObject = stream;
  await video.play();
  let read;
  try {
    read = await qrReader();
  } catch {
    $("camera-state").textContent = t("scan_no_decoder");
    return;
  }
  $("camera-state").textContent = t("scan_camera_on");
  if (!("requestVideoFrameCallback" in video)) {
    for (;;) {
      const started = performance.now();
      if (video.readyState >= 2) await decodeFrame(video, read);
      await new Promise((resolve) => setTimeout(resolve, Math.max(0, 120 - (performance.now() - started))));
    }
  }
  // Each new frame as it is shown: decoded unless one was decoded just before (or is being decoded).
  let busy = false;
  let last = -Infinity;
  const onFrame = async (now, metadata) => {
    stats.firstFrameAt ??= now;
    if (stats.frames.length < 100) stats.frames.push([metadata.mediaTime, now]); // when each frame came: for timing
    video.requestVideoFrameCallback(onFrame);
    if (busy || now - last < DECODE_EVERY_MS) return;
    busy = true;
    last = now;
    try {
      await decodeFrame(video, read);
    } finally {
      busy = false;
    }
  };
  video.requestVideoFrameCallback(onFrame);
}

async function photo(file) {
  try {
    const bitmap = await createImageBitmap(file);
    const texts = await (await qrReader())(bitmap);
    if (texts.length) await check(texts[0], "photo");
    else {
      show("grey", t("scan_no_code"));
      showFields(null);
      record("no_code", "photo");
    }
  } catch {
    show("grey", t("scan_no_code"));
    record("no_code", "photo");
  }
}

// ---------------------------------------------------------------- start

const within = (promise, ms) => Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);

/** The service worker installed and in control, so that what the page fetches next is kept for offline use. */
async function offlineReady() {
  if (!("serviceWorker" in navigator)) return;
  try {
    await navigator.serviceWorker.register("/scan/sw.js", { scope: "/scan" });
    await within(navigator.serviceWorker.ready, 5000);
    if (!navigator.serviceWorker.controller) {
      await within(new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true })), 3000);
    }
    if (navigator.serviceWorker.controller) {
      await fetch(location.pathname + location.search); // this very page, in its language, kept
      stats.offlineReady = true;
    }
  } catch (error) {
    console.warn("service worker:", error.message);
  }
}

async function start() {
  $("online").checked = localStorage.getItem("scan.online") !== "off";
  $("online").addEventListener("change", () => localStorage.setItem("scan.online", $("online").checked ? "on" : "off"));
  $("check").addEventListener("click", () => check($("pasted").value, "pasted"));
  $("photo").addEventListener("change", (event) => event.target.files[0] && photo(event.target.files[0]));
  $("collect").checked = localStorage.getItem("scan.collect") === "on";
  $("collect").addEventListener("change", () => localStorage.setItem("scan.collect", $("collect").checked ? "on" : "off"));
  $("make-report").addEventListener("click", makeReport);
  $("clear-list").addEventListener("click", () => {
    saveDeclaration({ items: [] });
    $("report-state").replaceChildren();
  });
  showDeclaration();
  await offlineReady();
  await loadTrustList();
  await loadStatusLists();
  showAges();
  setInterval(showAges, 60_000);
  // Kept fresh while the page stays open: every ten minutes, and as soon as the network is back.
  const refresh = async () => {
    await loadTrustList();
    await loadStatusLists();
    showAges();
  };
  setInterval(refresh, 600_000);
  window.addEventListener("online", refresh);
  if ((await backend()) === "noble") await verifyEd25519(new Uint8Array(32), new Uint8Array(64), new Uint8Array(0)); // fetched now, kept offline
  stats.ready = true;
  document.body.dataset.ready = "true";
  await camera();
}

start();
