/* A course's funnel (admin): per lesson, how many learners reached it, completed it, and completed it
   and every lesson before it. The numbers come from the page (json_script); the table below is the
   same data for screen readers and copying. */
(function () {
  "use strict";
  var box = document.getElementById("funnel-chart");
  var source = document.getElementById("funnel-data");
  if (!box || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(box, null, { renderer: "svg" });
  chart.setOption({
    grid: { left: 48, right: 16, top: 40, bottom: 64, containLabel: false },
    legend: { top: 0 },
    tooltip: { trigger: "axis" },
    xAxis: {
      type: "category",
      data: data.x,
      axisLabel: { interval: 0, rotate: data.x.length > 6 ? 30 : 0, width: 120, overflow: "truncate" },
    },
    yAxis: { type: "value", name: data.y_name, minInterval: 1 },
    series: data.series.map(function (serie, index) {
      return index === 2
        ? { type: "line", name: serie.name, data: serie.data, step: false, symbolSize: 8 }
        : { type: "bar", name: serie.name, data: serie.data, barMaxWidth: 32 };
    }),
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
