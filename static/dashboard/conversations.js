/* The conversations pages: forms whose refusals (400, 409) carry a message to show are
   swapped like successes. Everything else is plain htmx. */
(function () {
  "use strict";

  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    const source = event.detail.requestConfig && event.detail.requestConfig.elt;
    if ((status === 400 || status === 409) && source && source.closest("[data-swap-errors]")) {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });

  // A filter form sends (and so puts in the URL) only what differs from the defaults.
  document.addEventListener("htmx:configRequest", function (event) {
    const form = event.detail.elt.closest && event.detail.elt.closest("form[data-clean-query]");
    if (!form || event.detail.verb !== "get") return;
    const defaults = JSON.parse(form.dataset.cleanQuery || "{}");
    const data = event.detail.formData;
    Array.from(data.keys()).forEach(function (key) {
      const value = data.get(key);
      if (value === "" || defaults[key] === value) data.delete(key);
    });
  });

  // On a phone the filters (unless some are set) and a lead's details start folded, so the
  // table or the transcript is in view.
  document.addEventListener("DOMContentLoaded", function () {
    if (!window.matchMedia("(max-width: 760px)").matches) return;
    document.querySelectorAll("details[data-fold-on-phone]:not([data-active])").forEach(function (panel) {
      panel.removeAttribute("open");
    });
  });

  // After a reply was sent, the box is empty again: keep the focus there for the next one.
  document.addEventListener("htmx:afterSettle", function (event) {
    const form = document.getElementById("reply");
    if (form && event.detail.requestConfig && event.detail.requestConfig.elt === form) {
      const box = form.querySelector("textarea");
      if (box) box.focus();
    }
  });
})();
