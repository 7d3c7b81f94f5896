/* Leads explorer: a click on a bar of a distribution chart follows that bar's link below the
   chart (an htmx link: the explorer is re-rendered with the filter and the address updated),
   so the chart and the keyboard-friendly links do exactly the same thing. */
(function () {
  "use strict";

  function wire(root) {
    root.querySelectorAll("[data-filter-chart]").forEach(function (chart) {
      if (chart.dataset.wired || typeof chart.on !== "function") return;
      chart.dataset.wired = "true";
      chart.on("plotly_click", function (event) {
        const point = event.points && event.points[0];
        if (!point) return;
        const explorer = chart.closest("#explorer") || document;
        const link = explorer.querySelector(
          '[data-filter="' + chart.dataset.filterChart + '"][data-value="' + point.customdata + '"]'
        );
        if (link) link.click();
      });
    });
  }

  // dashboard.js draws the charts on load and after each swap (its listeners run first);
  // Plotly adds .on() to a chart once it is drawn, so wire whatever is drawn by then.
  window.addEventListener("load", function () { wire(document); });
  document.addEventListener("htmx:afterSettle", function (event) { wire(event.target); });

  // A filter the server refused (400) comes back as the explorer with the reason: show it.
  document.addEventListener("htmx:beforeSwap", function (event) {
    const status = event.detail.xhr.status;
    if ((status === 400 || status === 404) && event.detail.target && event.detail.target.id === "explorer") {
      event.detail.shouldSwap = true;
      event.detail.isError = false;
    }
  });
})();
