/* renshe page behaviour. No inline script is allowed (Content-Security-Policy), so everything a
   page needs beyond HTMX lives here. HTMX itself is configured by <meta name="htmx-config"> and
   sends the CSRF token from hx-headers on <body>. */
(function () {
  "use strict";

  function csrfToken() {
    var meta = document.querySelector('meta[name="csrf-token"]');
    return meta ? meta.getAttribute("content") : "";
  }

  // Belt and braces: every HTMX request carries the token, even one issued from an element
  // outside <body>'s inheritance (hx-disinherit) or added before hx-headers was read.
  document.addEventListener("htmx:configRequest", function (event) {
    var token = csrfToken();
    if (token && !event.detail.headers["X-CSRF-Token"]) {
      event.detail.headers["X-CSRF-Token"] = token;
    }
  });

  // A new request clears the previous error message of the layout's #htmx-error region.
  document.addEventListener("htmx:beforeRequest", function () {
    var region = document.getElementById("htmx-error");
    if (region) {
      region.replaceChildren();
    }
  });

  // A request that never reached the server (network down): say so instead of doing nothing.
  document.addEventListener("htmx:sendError", function () {
    var region = document.getElementById("htmx-error");
    if (!region) {
      return;
    }
    var box = document.createElement("div");
    box.className = "alert alert-error";
    box.setAttribute("role", "alert");
    // The text comes translated from the layout (Babel catalogs), not from this file.
    var text = document.getElementById("msg-network-error");
    box.textContent = text ? text.textContent.trim() : "";
    region.replaceChildren(box);
  });

  // Forms marked data-confirm ask before submitting (e.g. "revoke this token?").
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form instanceof HTMLFormElement && form.dataset.confirm) {
      if (!window.confirm(form.dataset.confirm)) {
        event.preventDefault();
      }
    }
  }, true);
})();
