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

  // On a phone the filters start folded (unless some are set), so the table is in view.
  document.addEventListener("DOMContentLoaded", function () {
    const panel = document.querySelector("[data-filters-panel]");
    if (panel && !panel.hasAttribute("data-active") && window.matchMedia("(max-width: 760px)").matches) {
      panel.removeAttribute("open");
    }
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
