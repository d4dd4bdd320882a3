/* The pages' charts (home, sharing grant usage), drawn with ECharts from the JSON in the page. */
(function () {
  "use strict";

  var PALETTE = ["#1659c7", "#12a3a0", "#f2a516", "#e0565b", "#6c5ce7", "#2f9e44", "#8a94a6"];
  // An HTML tooltip carries inline styles, which the pages' CSP refuses; draw it on the canvas.
  var TOOLTIP_MODE = "richText";
  var FONT = '-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", ' +
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';

  // Roughly how wide a label is drawn at 12px: a CJK glyph is a full em, Latin about half.
  function textWidth(text) {
    var width = 0;
    for (var i = 0; i < text.length; i += 1) {
      width += text.charCodeAt(i) > 0x2e80 ? 12 : 7;
    }
    return width;
  }

  // Bars stand up while every label fits under its own bar; otherwise they lie down, one row
  // per label, so no label is skipped or cut (ECharts hides the ones that would overlap).
  function lieDown(labels, width) {
    var slot = width / Math.max(1, labels.length);
    return labels.some(function (label) {
      return textWidth(String(label)) > slot - 8;
    });
  }

  function barOptions(chart, series, horizontal, width) {
    var category = {
      type: "category",
      data: horizontal ? chart.labels.slice().reverse() : chart.labels,
      axisTick: { show: false },
      axisLine: { lineStyle: { color: "#c9d2e0" } },
      // Every label, wrapped onto a second line when long rather than cut.
      axisLabel: {
        color: "#3b4658",
        fontSize: 12,
        interval: 0,
        width: horizontal ? Math.max(96, Math.min(240, Math.round(width * 0.4))) : undefined,
        overflow: "break",
        lineHeight: 14,
      },
    };
    var value = {
      type: "value",
      minInterval: 1,
      splitLine: { lineStyle: { color: "#edf1f7" } },
      axisLabel: { color: "#6b7689" },
    };
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 32, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", axisPointer: { type: "shadow" }, renderMode: TOOLTIP_MODE },
      xAxis: horizontal ? value : category,
      yAxis: horizontal ? category : value,
      series: [{
        name: series,
        type: "bar",
        data: horizontal ? chart.values.slice().reverse() : chart.values,
        barMaxWidth: horizontal ? 18 : 36,
        itemStyle: {
          borderRadius: horizontal ? [0, 4, 4, 0] : [4, 4, 0, 0],
          color: new window.echarts.graphic.LinearGradient(0, 0, horizontal ? 1 : 0, horizontal ? 0 : 1, [
            { offset: 0, color: horizontal ? "#4a8df0" : "#12a3a0" },
            { offset: 1, color: horizontal ? "#1659c7" : "#0e7f8c" },
          ]),
        },
        label: { show: true, position: horizontal ? "right" : "top", color: "#3b4658", fontSize: 11 },
      }],
    };
  }

  function pieOptions(chart, series, narrow) {
    return {
      textStyle: { fontFamily: FONT },
      color: ["#1659c7", "#f2a516", "#a0aabb"],
      tooltip: { trigger: "item", formatter: "{b}: {c} ({d}%)", renderMode: TOOLTIP_MODE },
      legend: { bottom: 0, icon: "circle", textStyle: { color: "#3b4658" } },
      series: [{
        name: series,
        type: "pie",
        radius: ["46%", "70%"],
        center: ["50%", "44%"],
        avoidLabelOverlap: true,
        itemStyle: { borderColor: "#fff", borderWidth: 2 },
        label: {
          show: !narrow,
          color: "#3b4658",
          formatter: function (params) {
            return Math.round(params.percent) + "%";
          },
        },
        data: chart.labels.map(function (label, i) {
          return { name: label, value: chart.values[i] };
        }),
      }],
    };
  }

  // Calls per day through a sharing grant: one line over the last days, gaps drawn as zero.
  function lineOptions(chart, series) {
    return {
      textStyle: { fontFamily: FONT },
      grid: { left: 8, right: 24, top: 24, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: TOOLTIP_MODE },
      xAxis: {
        type: "category",
        data: chart.labels,
        boundaryGap: false,
        axisLine: { lineStyle: { color: "#c9d2e0" } },
        axisLabel: { color: "#3b4658", fontSize: 11 },
      },
      yAxis: {
        type: "value",
        minInterval: 1,
        splitLine: { lineStyle: { color: "#edf1f7" } },
        axisLabel: { color: "#6b7689" },
      },
      series: [{
        name: series,
        type: "line",
        data: chart.values,
        smooth: false,
        symbolSize: 6,
        lineStyle: { width: 2, color: "#1659c7" },
        itemStyle: { color: "#1659c7" },
        areaStyle: { color: "rgba(22, 89, 199, 0.12)" },
      }],
    };
  }

  function draw() {
    var source = document.getElementById("chart-data");
    if (!source || !window.echarts) {
      return;
    }
    var data = JSON.parse(source.textContent || "{}");
    var drawn = [];
    document.querySelectorAll("[data-chart]").forEach(function (element) {
      var kind = element.getAttribute("data-chart");
      var chart = data[kind];
      if (!chart || !chart.values || !chart.values.length) {
        return;
      }
      // The figure shows the chart box (and hides the plain list) before ECharts measures it.
      var figure = element.closest("figure");
      if (figure) {
        figure.classList.add("is-live");
      }
      var horizontal = kind === "departments" ||
        (kind !== "sharing" && kind !== "usage" && lieDown(chart.labels, element.clientWidth));
      if (horizontal) {
        // One row per label: the box grows with the list instead of squeezing the bars.
        element.style.height = Math.max(180, chart.values.length * 34 + 40) + "px";
      }
      var instance = window.echarts.init(element, null, { renderer: "canvas" });
      var options = kind === "sharing"
        ? pieOptions(chart, data.series, element.clientWidth < 420)
        : kind === "usage"
          ? lineOptions(chart, data.series)
          : barOptions(chart, data.series, horizontal, element.clientWidth);
      options.color = options.color || PALETTE;
      instance.setOption(options);
      instance.on("click", function (params) {
        var index = horizontal
          ? chart.labels.length - 1 - params.dataIndex
          : params.dataIndex;
        if (chart.links && chart.links[index]) {
          window.location.href = chart.links[index];
        }
      });
      drawn.push(instance);
    });
    window.addEventListener("resize", function () {
      drawn.forEach(function (instance) {
        instance.resize();
      });
    });
  }

  draw();
})();
