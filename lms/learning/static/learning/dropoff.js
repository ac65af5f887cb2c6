/* The drop-off curve of a video (admin): share of each part of the video that viewers watched. */
(function () {
  "use strict";
  var box = document.getElementById("dropoff-chart");
  var source = document.getElementById("dropoff-data");
  if (!box || !source || !window.echarts) return;
  var data = JSON.parse(source.textContent);
  var chart = window.echarts.init(box);
  chart.setOption({
    grid: { left: 48, right: 16, top: 24, bottom: 40 },
    tooltip: { trigger: "axis" },
    xAxis: { type: "category", name: data.x_name, nameLocation: "middle", nameGap: 26, data: data.x },
    yAxis: { type: "value", name: data.y_name, min: 0, max: 100 },
    series: [{ type: "line", data: data.y, smooth: false, areaStyle: { opacity: 0.15 } }],
  });
  window.addEventListener("resize", function () { chart.resize(); });
})();
