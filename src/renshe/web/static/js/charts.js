/* Rollup charts: every element with data-chart-options is drawn by the vendored ECharts from the
   plain options the page carries (no inline script: Content-Security-Policy). The table under each
   chart holds the same figures for screen readers and for copying. */
(function () {
  "use strict";

  function draw() {
    if (typeof window.echarts === "undefined") {
      return;
    }
    var boxes = document.querySelectorAll("[data-chart-options]");
    var charts = [];
    boxes.forEach(function (box) {
      var options;
      try {
        options = JSON.parse(box.getAttribute("data-chart-options"));
      } catch (error) {
        box.setAttribute("data-chart-error", "options");
        return;
      }
      var chart = window.echarts.init(box, null, { renderer: "canvas" });
      chart.setOption(options);
      box.setAttribute("data-chart-drawn", "true");
      charts.push(chart);
    });
    window.addEventListener("resize", function () {
      charts.forEach(function (chart) {
        chart.resize();
      });
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
