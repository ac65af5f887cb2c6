/* The dashboard's charts (ECharts, SVG renderer: crisp when printed). The figures come from the
   page's json_script block; every chart has its table next to it. */
(function () {
  "use strict";
  var source = document.getElementById("stats-data");
  if (!source || typeof echarts === "undefined") return;
  var data = JSON.parse(source.textContent);
  var L = data.labels;
  var charts = [];

  function titles(rows) { return rows.map(function (r) { return r.title; }); }
  function pick(rows, key) { return rows.map(function (r) { return r[key]; }); }
  function bar(name, values) { return { name: name, type: "bar", data: values, label: { show: values.length <= 12, position: "top" } }; }
  function line(name, values) { return { name: name, type: "line", data: values, connectNulls: false, label: { show: true } }; }

  function category(labels, series, percent) {
    return {
      tooltip: { trigger: "axis" },
      legend: { top: 0 },
      grid: { left: 40, right: 12, top: 36, bottom: 60, containLabel: true },
      xAxis: { type: "category", data: labels, axisLabel: { interval: 0, rotate: labels.length > 6 ? 30 : 0 } },
      yAxis: { type: "value", max: percent ? 100 : null },
      series: series,
    };
  }

  var months = data.months.map(function (m) { return m.month; });
  var options = {
    coverage: category(titles(data.coverage), [
      bar(L.met_share, pick(data.coverage, "met_share")),
      bar(L.cadres_share, pick(data.coverage, "cadres_share")),
      bar(L.rotation_share, pick(data.coverage, "rotation_share")),
    ], true),
    months: category(months, [line(L.met, pick(data.months, "met")), line(L.trained, pick(data.months, "trained"))]),
    classes: category(titles(data.classes), [
      bar(L.planned, pick(data.classes, "planned")),
      bar(L.held, pick(data.classes, "held")),
      bar(L.compliant, pick(data.classes, "compliant")),
    ]),
    class_months: category(months, [
      bar(L.planned, pick(data.class_months, "planned")),
      bar(L.held, pick(data.class_months, "held")),
      bar(L.compliant, pick(data.class_months, "compliant")),
    ]),
    participation: category(titles(data.participation), [
      bar(L.in_person, pick(data.participation, "in_person_minutes").map(function (m) { return Math.round(m / 6) / 10; })),
      bar(L.live, pick(data.participation, "live_minutes").map(function (m) { return Math.round(m / 6) / 10; })),
      bar(L.replay, pick(data.participation, "replay_minutes").map(function (m) { return Math.round(m / 6) / 10; })),
      bar(L.other, pick(data.participation, "other_minutes").map(function (m) { return Math.round(m / 6) / 10; })),
    ]),
  };
  if (data.satisfaction) {
    options.satisfaction = category(data.satisfaction.map(function (b) { return b.label; }),
      [bar(L.teachers, pick(data.satisfaction, "teachers"))]);
    options.trend = category(data.trend.years, data.trend.series.map(function (s) { return line(s.name, s.data); }), true);
  }

  document.querySelectorAll("[data-chart]").forEach(function (element) {
    var option = options[element.dataset.chart];
    if (!option) return;
    var chart = echarts.init(element, null, { renderer: "svg" });
    chart.setOption(option);
    element.dataset.drawn = "1";
    charts.push(chart);
    if (element.dataset.chart === "coverage" && data.unit !== "member") {
      // A bar opens the township's or branch's figures: the same link as the table's row.
      chart.on("click", function (params) {
        var links = document.querySelectorAll("[data-testid=coverage-row] a[data-testid=drill]");
        if (links[params.dataIndex]) window.location.href = links[params.dataIndex].href;
      });
    }
  });

  // The ranking's five-year sparklines: sparkline.js (shared with the evaluation ranking page).

  window.addEventListener("resize", function () { charts.forEach(function (c) { c.resize(); }); });
})();
