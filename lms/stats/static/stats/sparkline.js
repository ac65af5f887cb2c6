/* Five-year sparklines (ECharts, SVG renderer), shared by the county dashboard's teacher ranking and
   the evaluation app's ranking page. Load it after vendor/echarts.min.js (both with defer).

   An element with `data-spark` gets a small line of satisfaction rates (0–100), a point per year with
   a value, solid between consecutive years and faint dashed across a year without one. The values are either listed in the attribute ("81.5,None,92.3") or, when the
   element also has `data-spark-source="<id>"`, found in that json_script block
   ({"years": [...], "values": {"<data-spark>": [81.5, null, 92.3, ...]}}). Nothing is drawn when
   every value is missing. The page keeps the figures as text next to it (the text alternative, and
   what prints). */
(function () {
  "use strict";
  if (typeof echarts === "undefined") return;
  var sources = {};

  function source(id) {
    if (!(id in sources)) {
      var block = document.getElementById(id);
      sources[id] = block ? JSON.parse(block.textContent) : null;
    }
    return sources[id];
  }

  function valuesOf(element) {
    var id = element.dataset.sparkSource;
    if (id) {
      var data = source(id);
      return data && data.values[element.dataset.spark] ? data.values[element.dataset.spark] : [];
    }
    return element.dataset.spark.split(",").map(function (v) {
      return v === "None" || v === "" ? null : Number(v);
    });
  }

  function draw(element, values) {
    var chart = echarts.init(element, null, { renderer: "svg", width: 110, height: 26 });
    chart.setOption({
      animation: false,
      grid: { left: 2, right: 2, top: 3, bottom: 3 },
      xAxis: { type: "category", show: false, data: values.map(function (_v, i) { return i; }) },
      yAxis: { type: "value", show: false, min: 0, max: 100 },
      series: [
        // Across a gap: a faint dashed line, so the trend still reads while the missing years show.
        { type: "line", data: values, connectNulls: true, symbol: "none", silent: true,
          lineStyle: { width: 1, type: "dashed", opacity: 0.45 } },
        { type: "line", data: values, connectNulls: false, symbolSize: 4, lineStyle: { width: 1.5 } },
      ],
      color: ["#5470c6", "#5470c6"],
    });
    element.dataset.drawn = "1";
    return chart;
  }

  document.querySelectorAll("[data-spark]").forEach(function (element) {
    var values = valuesOf(element);
    if (values.some(function (v) { return v !== null; })) draw(element, values);
  });
})();
