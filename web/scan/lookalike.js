// Look-alike links, the main attack on any URL-in-QR scheme: a forger prints a code that opens their own
// page, which says "genuine". A scanned link that names any host but an official one is never an official
// certificate, whatever its seal; a host made to pass for an official one is named as an imitation: the
// same letters from other scripts (homoglyphs, often behind punycode), the official name with labels
// added around it, a letter or two changed, or the official host under another scheme or port.

// Letters of other scripts (and Latin variants) that are drawn like ASCII ones; after NFKC, which already
// folds full-width forms, ligatures and the like. A subset of Unicode's confusables: the ones fonts
// make indistinguishable in a host name.
const CONFUSABLE = {
  а: "a", в: "b", е: "e", ё: "e", к: "k", м: "m", н: "h", о: "o", р: "p", с: "c", т: "t", у: "y", х: "x",
  ѕ: "s", і: "i", ї: "i", ј: "j", ԁ: "d", ԛ: "q", ԝ: "w", һ: "h", ӏ: "l", ɡ: "g", ɩ: "i", ɑ: "a", ʏ: "y",
  α: "a", β: "b", ε: "e", η: "n", ι: "i", κ: "k", ν: "v", ο: "o", ρ: "p", τ: "t", υ: "u", χ: "x", ω: "w",
  ı: "i", ł: "l", ø: "o", đ: "d", ħ: "h", ŀ: "l", "‐": "-", "‑": "-", "‒": "-", "–": "-", "—": "-", "−": "-",
};
// ASCII look-alikes among themselves, folded last: digits for letters and letter pairs for one letter.
const ASCII_LOOKALIKES = [["rn", "m"], ["vv", "w"], ["cl", "d"], ["0", "o"], ["1", "l"], ["i", "l"], ["5", "s"]];

/** How a host looks: NFKC, lower case, accents dropped, homoglyphs and ASCII look-alikes folded. */
export function skeleton(host) {
  let folded = [...host.normalize("NFKC").toLowerCase()].map((c) => CONFUSABLE[c] ?? c).join("");
  folded = folded.normalize("NFD").replace(/[\u0300-\u036f]/g, ""); // é → e
  for (const [from, to] of ASCII_LOOKALIKES) folded = folded.split(from).join(to);
  return folded;
}

const BASE = 36;

/** RFC 3492: one punycode label (without its xn-- prefix) in Unicode; the label itself if it does not decode. */
export function decodePunycode(label) {
  const cut = label.lastIndexOf("-");
  const output = cut > 0 ? [...label.slice(0, cut)] : [];
  let i = 0;
  let n = 128;
  let bias = 72;
  for (let at = cut > 0 ? cut + 1 : 0; at < label.length; ) {
    const old = i;
    for (let w = 1, k = BASE; ; k += BASE) {
      if (at >= label.length) return label;
      const c = label.charCodeAt(at++);
      const digit = c >= 48 && c <= 57 ? c - 22 : c >= 65 && c <= 90 ? c - 65 : c >= 97 && c <= 122 ? c - 97 : BASE;
      if (digit >= BASE) return label;
      i += digit * w;
      const t = k <= bias ? 1 : k >= bias + 26 ? 26 : k - bias;
      if (digit < t) break;
      w *= BASE - t;
      if (i > 0x10ffff * 64) return label;
    }
    const length = output.length + 1;
    let delta = old === 0 ? Math.floor((i - old) / 700) : (i - old) >> 1;
    delta += Math.floor(delta / length);
    let k = 0;
    for (; delta > 455; k += BASE) delta = Math.floor(delta / 35);
    bias = Math.floor(k + (36 * delta) / (delta + 38));
    n += Math.floor(i / length);
    i %= length;
    if (n > 0x10ffff) return label;
    output.splice(i++, 0, String.fromCodePoint(n));
  }
  return output.join("");
}

/** A host as a person reads it: each xn-- label decoded. */
export const unicodeHost = (host) =>
  host.split(".").map((l) => (l.startsWith("xn--") ? decodePunycode(l.slice(4)) : l)).join(".");

function distance(a, b) {
  if (Math.abs(a.length - b.length) > 2) return 3;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const row = [i];
    for (let j = 1; j <= b.length; j++) {
      row[j] = Math.min(previous[j] + 1, row[j - 1] + 1, previous[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    previous = row;
  }
  return previous[b.length];
}

/** Whether ``host`` (as read) passes itself off as ``official`` (a host name). */
export function imitates(host, official) {
  if (host === official) return true; // the official name under another scheme or port
  const shape = skeleton(host);
  const wanted = skeleton(official);
  if (shape === wanted) return true; // homoglyphs, punycode
  const labels = shape.split(".");
  const needed = wanted.split(".");
  for (let i = 0; i + needed.length <= labels.length; i++) {
    if (needed.every((l, j) => labels[i + j] === l)) return true; // the official name with labels added
  }
  const registered = needed.slice(-2).join("."); // e.g. zhejiang-made.example: its name inside a label
  if (needed.length >= 2 && shape.includes(needed.at(-2)) && !shape.endsWith(`.${registered}`)) return true;
  return distance(shape, wanted) <= 2; // a letter or two changed, added or dropped
}

/**
 * What a scanned text is: ``{kind: "official"}`` for a link of one of ``origins``; ``{kind: "other",
 * host, ascii, imitates}`` for a link to any other place (``imitates``: the official host it passes for,
 * or null); ``{kind: "text"}`` for anything that is not a web link (the seal check decides).
 */
export function classify(text, origins) {
  const trimmed = String(text).trim();
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)) return { kind: "text" };
  let url;
  try {
    url = new URL(trimmed);
  } catch {
    return { kind: "text" };
  }
  if (origins.has(url.origin)) return { kind: "official" };
  const ascii = url.protocol === "http:" || url.protocol === "https:" ? url.host : `${url.protocol}//${url.host}`;
  const host = unicodeHost(url.hostname);
  const official = [...origins].map((o) => new URL(o).hostname).find((h) => imitates(host, h)) ?? null;
  const shown = host === url.hostname ? ascii : `${host} (${ascii})`;
  return { kind: "other", host: url.protocol === "https:" ? shown : `${url.protocol}//${shown}`, ascii, imitates: official };
}
