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
    box.className = "alert alert-danger";
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

  // Menu button (phone width) and user menu: a [data-ui-toggle] button shows or hides the element
  // it names (Tabler's "show" class) and says so in aria-expanded. Escape or a click elsewhere
  // closes an open menu. Replaces Tabler's own JS, which is not vendored.
  function setOpen(button, open) {
    var target = document.getElementById(button.dataset.uiToggle);
    if (!target) {
      return;
    }
    target.classList.toggle("show", open);
    button.setAttribute("aria-expanded", open ? "true" : "false");
  }
  document.addEventListener("click", function (event) {
    var button = event.target instanceof Element ? event.target.closest("[data-ui-toggle]") : null;
    document.querySelectorAll("[data-ui-toggle][aria-expanded='true']").forEach(function (other) {
      var menu = document.getElementById(other.dataset.uiToggle);
      if (other !== button && menu && !menu.contains(event.target) && menu.classList.contains("dropdown-menu")) {
        setOpen(other, false);
      }
    });
    if (button) {
      setOpen(button, button.getAttribute("aria-expanded") !== "true");
    }
  });
  document.addEventListener("keydown", function (event) {
    if (event.key === "Escape") {
      document.querySelectorAll("[data-ui-toggle][aria-expanded='true']").forEach(function (b) {
        setOpen(b, false);
      });
    }
  });

  // Confirm buttons (ui/feedback.html confirm_button): the form's submit opens its <dialog>,
  // which names what will happen; only "confirm" sends the form (through HTMX too: the first
  // submit is stopped before HTMX's own listener on the form sees it).
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || !form.dataset.uiConfirm) {
      return;
    }
    if (form.dataset.uiConfirmed === "1") {
      delete form.dataset.uiConfirmed;
      return;
    }
    var dialog = document.getElementById(form.dataset.uiConfirm);
    if (!dialog || typeof dialog.showModal !== "function") {
      return;
    }
    event.preventDefault();
    event.stopPropagation();
    dialog.returnValue = "";
    dialog.addEventListener("close", function () {
      if (dialog.returnValue === "confirm") {
        form.dataset.uiConfirmed = "1";
        form.requestSubmit();
      }
    }, { once: true });
    dialog.showModal();
  }, true);

  // A polling refresh (hx-trigger="every …", the job progress) would replace an open confirm
  // dialog inside the element it refreshes, and the user's answer with it: while one is open, the
  // refresh is skipped; the next one after the dialog closes goes ahead.
  document.addEventListener("htmx:beforeRequest", function (event) {
    var elt = event.detail && event.detail.elt;
    if (elt instanceof Element && elt.querySelector("dialog[open]")) {
      event.preventDefault();
    }
  });

  // A select marked data-autosubmit (page size) sends its form when changed.
  document.addEventListener("change", function (event) {
    var select = event.target;
    if (select instanceof HTMLSelectElement && select.dataset.autosubmit !== undefined && select.form) {
      select.form.requestSubmit();
    }
  });
})();
