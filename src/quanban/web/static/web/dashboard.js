/* The dashboard's charts (ECharts, served locally). Each chart element names the JSON script
   with its numbers (data-source); the same numbers are in the table next to it, so the page says
   everything without this script. */
(function () {
  "use strict";

  function read(id) {
    var node = document.getElementById(id);
    return node ? JSON.parse(node.textContent) : null;
  }

  function seriesOption(data, type) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 48, right: 16, top: 36, bottom: 64, containLabel: true },
      xAxis: {
        type: "category",
        data: data.categories,
        axisLabel: { rotate: data.categories.length > 8 ? 40 : 0, interval: 0 }
      },
      yAxis: { type: "value", minInterval: 1 },
      series: data.series.map(function (s) {
        return { name: s.name, type: type, data: s.data };
      })
    };
  }

  function gridOption(data) {
    var max = 1;
    data.values.forEach(function (v) { if (v[2] > max) { max = v[2]; } });
    return {
      tooltip: { position: "top" },
      grid: { left: 64, right: 16, top: 16, bottom: 96, containLabel: true },
      xAxis: { type: "category", data: data.categories, splitArea: { show: true },
               axisLabel: { rotate: 40, interval: 0 } },
      yAxis: { type: "category", data: data.rows, splitArea: { show: true } },
      visualMap: { min: 0, max: max, calculable: true, orient: "horizontal", left: "center",
                   bottom: 0, inRange: { color: ["#fff7e6", "#fa8c16", "#cf1322"] } },
      series: [{ type: "heatmap", data: data.values, label: { show: true } }]
    };
  }

  function draw() {
    if (typeof window.echarts === "undefined") { return; }
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var data = read(el.getAttribute("data-source"));
      if (!data) { return; }
      var kind = el.getAttribute("data-chart");
      var chart = window.echarts.init(el, null, { renderer: "canvas" });
      chart.setOption(kind === "grid" ? gridOption(data) : seriesOption(data, kind));
      window.addEventListener("resize", function () { chart.resize(); });
      el.setAttribute("data-rendered", "true");
    });
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", draw);
  } else {
    draw();
  }
})();
