/* The open data index page: a radar of the four layers' scores, from the JSON in the page. */
(function () {
  "use strict";

  var FONT = '-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", ' +
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

  function draw() {
    var source = document.getElementById("open-index-data");
    var element = document.querySelector("[data-open-index-chart]");
    if (!source || !element || !window.echarts) {
      return;
    }
    var chart = JSON.parse(source.textContent || "{}");
    if (!chart.values || !chart.values.length) {
      return;
    }
    var figure = element.closest("figure");
    if (figure) {
      figure.classList.add("is-live");
    }
    var instance = window.echarts.init(element, null, { renderer: "canvas" });
    instance.setOption({
      textStyle: { fontFamily: FONT },
      // An HTML tooltip carries inline styles, which the CSP refuses; draw it on the canvas.
      tooltip: { trigger: "item", renderMode: "richText" },
      radar: {
        indicator: chart.labels.map(function (label) {
          return { name: label, max: 100 };
        }),
        radius: "65%",
        axisName: { color: "#3b4658", fontSize: 13 },
        splitLine: { lineStyle: { color: "#dfe5ee" } },
        splitArea: { areaStyle: { color: ["#f7f9fc", "#ffffff"] } },
      },
      series: [{
        name: chart.series,
        type: "radar",
        data: [{ value: chart.values, name: chart.series }],
        symbolSize: 6,
        lineStyle: { width: 2, color: "#1659c7" },
        itemStyle: { color: "#1659c7" },
        areaStyle: { color: "rgba(22, 89, 199, 0.18)" },
        label: { show: true, color: "#1659c7", fontSize: 12 },
      }],
    });
    window.addEventListener("resize", function () {
      instance.resize();
    });
  }

  draw();
})();
