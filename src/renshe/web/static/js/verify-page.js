/* The verification page's own script: "check another card" in the browser.
 *
 * The page carries the published keys and every district's signed status list
 * (#verify-data); they are kept in localStorage, so a later visit without the network still has
 * them. When the network is up, a check first refreshes them (/verify/keys, /verify/status/<d>,
 * three seconds at most); when it is down, the kept copies decide. The verdict replaces the one
 * in #verdict, with the same fields: tier, masked name, validity — nothing more.
 */
"use strict";

(() => {
  const STORE = "renshe.verify.v1";
  const form = document.getElementById("verify-another");
  const input = document.getElementById("verify-token");
  const section = document.getElementById("verdict");
  const embedded = JSON.parse(document.getElementById("verify-data").dataset.verify);
  const labels = embedded.labels;

  function kept() {
    try {
      return JSON.parse(localStorage.getItem(STORE)) || {};
    } catch (e) {
      return {};
    }
  }

  function keep(data) {
    try {
      localStorage.setItem(STORE, JSON.stringify({ keys: data.keys, lists: data.lists }));
    } catch (e) {
      /* private mode or full: the embedded copy still serves this page */
    }
  }

  // the newer of the embedded and the kept lists (by their issued_at), keys from the newest source
  function merged() {
    const old = kept();
    const lists = Object.assign({}, old.lists || {});
    for (const [code, doc] of Object.entries(embedded.lists || {})) {
      if (!lists[code] || String(lists[code].issued_at) <= String(doc.issued_at)) lists[code] = doc;
    }
    return { keys: embedded.keys && embedded.keys.length ? embedded.keys : old.keys || [], lists };
  }

  let current = merged();
  keep(current);

  async function fetchJson(url) {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(), 3000);
    try {
      const answer = await fetch(url, { signal: controller.signal, cache: "no-store" });
      return answer.ok ? await answer.json() : null;
    } finally {
      clearTimeout(timer);
    }
  }

  async function refresh(district) {
    if (!navigator.onLine) return;
    try {
      const keys = await fetchJson("/verify/keys");
      if (keys && Array.isArray(keys.keys)) current.keys = keys.keys;
      if (/^[0-9]{6}$/.test(district)) {
        const doc = await fetchJson("/verify/status/" + district);
        if (doc) current.lists[district] = doc;
      }
      keep(current);
    } catch (e) {
      /* offline after all: the kept copies decide */
    }
  }

  function tokenOf(text) {
    const value = text.trim();
    const at = value.lastIndexOf("/verify/");
    return (at >= 0 ? value.slice(at + 8) : value).split(/[?#]/)[0];
  }

  function show(result, offline) {
    const status = result.status;
    section.dataset.verdict = status;
    section.replaceChildren();
    const title = document.createElement("h2");
    title.id = "verdict-title";
    title.textContent = labels.verdicts[status];
    const note = document.createElement("p");
    note.textContent = labels.notes[status];
    section.append(title, note);
    const genuine = ["valid", "expired", "not_yet_valid", "revoked"].includes(status);
    if (genuine && result.claims) {
      const list = document.createElement("dl");
      const rows = [
        ["tier", labels.tier, result.claims.tier],
        ["holder", labels.holder, result.claims.holder],
        ["validity", labels.validity, result.claims.validFrom + " – " + result.claims.validUntil],
      ];
      for (const [field, name, value] of rows) {
        const term = document.createElement("dt");
        term.textContent = name;
        const detail = document.createElement("dd");
        detail.dataset.field = field;
        detail.textContent = value;
        list.append(term, detail);
      }
      section.append(list);
    }
    if (offline) {
      const where = document.createElement("p");
      where.textContent = labels.offline;
      section.append(where);
    }
    title.tabIndex = -1;
    title.focus();
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const token = tokenOf(input.value);
    let district = "";
    try {
      const raw = RensheVerify.fromB64url(token);
      district = RensheVerify.unpack(raw.subarray(0, Math.max(raw.length - 64, 0))).district;
    } catch (e) {
      /* malformed: verify() says so */
    }
    await refresh(district);
    const result = await RensheVerify.verify(token, { keys: current.keys, lists: current.lists });
    show(result, !navigator.onLine);
  });
})();
