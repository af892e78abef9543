/* 人才卡核验 — verifying a talent card token in the browser, with the network off.
 *
 * The same checks as the server (renshe/talent/tokens.py, status_lists.py, verification):
 * the token's packed claims, its Ed25519 signature under the published key it names (WebCrypto),
 * the bit of the card in its district's signed status list (gzip via DecompressionStream), and
 * the validity dates against today in Asia/Shanghai. Keys (/verify/keys) and lists
 * (/verify/status/<district>) are passed in: the page caches them so a later check needs no network.
 *
 * RensheVerify.verify(token, {keys, lists, today}) resolves to
 *   {status: "valid" | "expired" | "not_yet_valid" | "revoked" | "unknown_key" | "bad_signature"
 *            | "malformed" | "no_status", claims?}
 * "no_status": the signature holds but no trustworthy list of the card's district is at hand.
 */
"use strict";

const RensheVerify = (() => {
  const TOKEN_DOMAIN = new TextEncoder().encode("renshe.talent-card.v1\u0000");
  const LIST_DOMAIN = new TextEncoder().encode("renshe.status-list.v1\u0000");
  const EPOCH = Date.UTC(2000, 0, 1);
  const DAY = 86400000;
  const SIGNATURE = 64;
  const MAX_TOKEN_CHARS = 175;

  function fromB64url(text) {
    if (!/^[A-Za-z0-9_-]*$/.test(text)) throw new Error("not base64url");
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/") + "===".slice((text.length + 3) % 4);
    const raw = atob(b64);
    const out = new Uint8Array(raw.length);
    for (let i = 0; i < raw.length; i++) out[i] = raw.charCodeAt(i);
    return out;
  }

  function concat(a, b) {
    const out = new Uint8Array(a.length + b.length);
    out.set(a, 0);
    out.set(b, a.length);
    return out;
  }

  function isoDay(days) {
    return new Date(EPOCH + days * DAY).toISOString().slice(0, 10);
  }

  function checkCharacter(digits) {
    let total = 0;
    for (const ch of digits) total = (2 * total + Number(ch)) % 11;
    const value = (((1 - 2 * total) % 11) + 11) % 11;
    return value === 10 ? "X" : String(value);
  }

  // The claims of tokens.py, version 1 (big-endian); throws on anything else.
  function unpack(body) {
    const view = new DataView(body.buffer, body.byteOffset, body.byteLength);
    if (body.length < 2 || body[0] !== 1) throw new Error("unknown version");
    const kidLength = body[1];
    if (kidLength < 1 || kidLength > 16) throw new Error("bad key id");
    let at = 2;
    const kid = new TextDecoder("ascii").decode(body.subarray(at, at + kidLength));
    at += kidLength;
    if (body.length < at + 18 + 1) throw new Error("truncated");
    const district = (body[at] << 16) | (body[at + 1] << 8) | body[at + 2];
    const year = view.getUint16(at + 3);
    const sequence = view.getUint32(at + 5);
    const tier = String.fromCharCode(body[at + 9]);
    const from = view.getUint16(at + 10);
    const until = view.getUint16(at + 12);
    const index = view.getUint32(at + 14);
    at += 18;
    const nameLength = body[at];
    if (nameLength > 30 || at + 1 + nameLength !== body.length) throw new Error("bad name");
    const holder = new TextDecoder("utf-8", { fatal: true }).decode(body.subarray(at + 1));
    if (!["A", "B", "C"].includes(tier) || district < 100000 || district > 999999) throw new Error("bad values");
    const digits = `${district}${String(year).padStart(4, "0")}${String(sequence).padStart(6, "0")}`;
    return {
      kid,
      district: String(district),
      cardNo: `QD${digits}${checkCharacter(digits)}`,
      tier,
      validFrom: isoDay(from),
      validUntil: isoDay(until),
      statusIndex: index,
      holder,
    };
  }

  async function publicKey(keys, kid) {
    const entry = (keys || []).find((k) => k.kid === kid && k.alg === "Ed25519");
    if (!entry) return null;
    return crypto.subtle.importKey("raw", fromB64url(entry.public_key), { name: "Ed25519" }, false, ["verify"]);
  }

  async function signatureHolds(key, signature, data) {
    try {
      return await crypto.subtle.verify({ name: "Ed25519" }, key, signature, data);
    } catch (e) {
      return false;
    }
  }

  async function gunzip(bytes) {
    const stream = new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"));
    return new Uint8Array(await new Response(stream).arrayBuffer());
  }

  // The bits of the district's list if it is that district's and its signature holds under a
  // published key, else null (a list signed for another district proves nothing about this card).
  async function listBits(doc, keys, district) {
    if (!doc || doc.district !== district || typeof doc.encoded_list !== "string") return null;
    const size = Number(doc.size);
    if (!Number.isInteger(size) || size % 8 !== 0 || size < 131072) return null;
    const key = await publicKey(keys, doc.kid);
    if (!key) return null;
    const fields = [doc.district, doc.kid, doc.issued_at, String(doc.size), doc.encoded_list].join("\n");
    const signed = concat(LIST_DOMAIN, new TextEncoder().encode(fields));
    if (!(await signatureHolds(key, fromB64url(doc.signature || ""), signed))) return null;
    try {
      const bits = await gunzip(fromB64url(doc.encoded_list));
      return bits.length === size / 8 ? bits : null;
    } catch (e) {
      return null;
    }
  }

  function shanghaiToday() {
    return new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Shanghai" }).format(new Date());
  }

  async function verify(token, { keys, lists, today } = {}) {
    let claims;
    let raw;
    try {
      if (!token || token.length > MAX_TOKEN_CHARS) throw new Error("length");
      raw = fromB64url(token);
      if (raw.length <= SIGNATURE) throw new Error("truncated");
      claims = unpack(raw.subarray(0, raw.length - SIGNATURE));
    } catch (e) {
      return { status: "malformed" };
    }
    const key = await publicKey(keys, claims.kid);
    if (!key) return { status: "unknown_key", claims };
    const body = raw.subarray(0, raw.length - SIGNATURE);
    const signature = raw.subarray(raw.length - SIGNATURE);
    if (!(await signatureHolds(key, signature, concat(TOKEN_DOMAIN, body)))) {
      return { status: "bad_signature", claims };
    }
    const bits = await listBits((lists || {})[claims.district], keys, claims.district);
    if (bits === null) return { status: "no_status", claims };
    const i = claims.statusIndex;
    if (i < bits.length * 8 && (bits[i >> 3] & (0x80 >> (i & 7))) !== 0) return { status: "revoked", claims };
    const day = today || shanghaiToday();
    if (day > claims.validUntil) return { status: "expired", claims };
    if (day < claims.validFrom) return { status: "not_yet_valid", claims };
    return { status: "valid", claims };
  }

  return { verify, unpack, fromB64url };
})();
