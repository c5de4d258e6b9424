/* Charts of the proposal year summary. Data comes from the JSON island #summary-data (the page has no inline
   script: the CSP forbids it); each <div data-chart="key"> gets the chart of that key. */
(function () {
  "use strict";
  var COLORS = ["#a61b1b", "#d9822b", "#3a7d44", "#2f6fab", "#7b4fa3", "#8a8a8a"];

  function bar(spec, horizontal) {
    var category = { type: "category", data: spec.labels, axisLabel: { interval: 0, width: 90, overflow: "truncate" } };
    var value = { type: "value", minInterval: 1 };
    return {
      color: COLORS,
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: horizontal ? 110 : 40, right: 20, top: 30, bottom: 30, containLabel: !horizontal },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: spec.series.map(function (s) { return { name: s.name, type: "bar", data: s.data, barMaxWidth: 28 }; })
    };
  }

  function rates(spec) {
    return {
      color: COLORS,
      tooltip: { trigger: "axis", valueFormatter: function (v) { return v === null ? "—" : v + "%"; } },
      grid: { left: 40, right: 20, top: 20, bottom: 30, containLabel: true },
      xAxis: { type: "category", data: spec.labels, axisLabel: { interval: 0 } },
      yAxis: { type: "value", max: 100, axisLabel: { formatter: "{value}%" } },
      series: [{ type: "bar", data: spec.series[0].data, barMaxWidth: 36,
                 label: { show: true, position: "top", formatter: function (p) { return p.value === null ? "" : p.value + "%"; } } }]
    };
  }

  function pie(spec) {
    return {
      color: ["#3a7d44", "#d9822b", "#8a8a8a", "#2f6fab", "#7b4fa3", "#a61b1b"],
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)" },
      legend: { orient: "vertical", left: 0, top: "middle" },
      series: [{ type: "pie", radius: ["35%", "70%"], center: ["60%", "50%"], data: spec.data,
                 label: { formatter: "{b} {d}%" } }]
    };
  }

  function init() {
    var island = document.getElementById("summary-data");
    if (!island || !window.echarts) { return; }
    var data = JSON.parse(island.textContent);
    var charts = [];
    document.querySelectorAll("[data-chart]").forEach(function (el) {
      var spec = data[el.getAttribute("data-chart")];
      if (!spec) { return; }
      var many = spec.labels && spec.labels.length > 8;
      el.style.width = "100%";
      el.style.height = el.classList.contains("chart-small") ? "220px" : (many ? Math.min(40 + spec.labels.length * 26, 900) + "px" : "280px");
      var option = spec.type === "pie" ? pie(spec) : spec.type === "rates" ? rates(spec) : bar(spec, many);
      var chart = window.echarts.init(el, null, { renderer: "svg" });
      chart.setOption(option);
      charts.push(chart);
    });
    window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
  }

  if (document.readyState === "loading") { document.addEventListener("DOMContentLoaded", init); } else { init(); }
})();
