/* The open-data portal: copy buttons for API examples and the entry page's chart builder. */
(function () {
  "use strict";

  var FONT = '-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", ' +
    '"Noto Sans CJK SC", "Source Han Sans SC", sans-serif';
  var MAX_GROUPS = 50;

  function setupCopy() {
    document.querySelectorAll("[data-copy]").forEach(function (button) {
      button.addEventListener("click", function () {
        var target = document.querySelector(button.getAttribute("data-copy"));
        if (!target || !navigator.clipboard) { return; }
        navigator.clipboard.writeText(target.textContent).then(function () {
          button.classList.add("copied");
          window.setTimeout(function () { button.classList.remove("copied"); }, 1500);
        }, function () { /* clipboard refused (insecure context): the text stays selectable */ });
      });
    });
  }

  // Roughly how wide a label is drawn at 12px: a CJK glyph is a full em, Latin about half.
  function textWidth(text) {
    var width = 0;
    for (var i = 0; i < text.length; i += 1) {
      width += text.charCodeAt(i) > 0x2e80 ? 12 : 7;
    }
    return width;
  }

  function labelsFit(labels, width) {
    var slot = width / Math.max(1, labels.length);
    return labels.every(function (label) { return textWidth(label) <= slot - 8; });
  }

  function chartOptions(type, labels, values, series, width) {
    var base = {
      textStyle: { fontFamily: FONT },
      // HTML tooltips carry inline styles, which the CSP refuses: draw them on the canvas.
      tooltip: { trigger: type === "pie" ? "item" : "axis", renderMode: "richText" },
      color: ["#1659c7", "#12a3a0", "#f2a516", "#e0565b", "#6c5ce7", "#2f9e44", "#8a94a6"],
    };
    if (type === "pie") {
      base.legend = { bottom: 0, type: "scroll" };
      base.series = [{
        name: series, type: "pie", radius: ["35%", "65%"], center: ["50%", "45%"],
        data: labels.map(function (l, i) { return { name: l, value: values[i] }; }),
      }];
      return base;
    }
    base.grid = { left: 8, right: 24, top: 24, bottom: 8, containLabel: true };
    // Every label is shown: bars lie down (one row each) when the labels do not fit under them,
    // a line's labels turn aslant.
    var fit = labelsFit(labels, width);
    var horizontal = type === "bar" && !fit;
    var category = {
      type: "category",
      data: horizontal ? labels.slice().reverse() : labels,
      axisLabel: {
        interval: 0,
        rotate: fit || horizontal ? 0 : 45,
        width: horizontal ? Math.max(96, Math.min(200, Math.round(width * 0.4))) : 120,
        overflow: "break",
        lineHeight: 14,
      },
    };
    base.xAxis = horizontal ? { type: "value" } : category;
    base.yAxis = horizontal ? category : { type: "value" };
    base.series = [{
      name: series, type: type, data: horizontal ? values.slice().reverse() : values,
      smooth: type === "line",
    }];
    base.horizontal = horizontal;
    return base;
  }

  function setupChart() {
    var form = document.getElementById("chart-builder");
    var data = document.getElementById("chart-builder-data");
    var box = document.getElementById("portal-chart");
    var status = document.getElementById("chart-status");
    if (!form || !data || !box) { return; }
    var texts = JSON.parse(data.textContent);
    var chart = null;
    var agg = form.elements.agg;
    var value = form.elements.value;

    function syncValue() {
      value.disabled = agg.value === "count" || value.options.length === 0;
    }
    agg.addEventListener("change", syncValue);
    syncValue();

    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var group = form.elements.group.value;
      var aggText = agg.value === "count" ? "count" : agg.value + ":" + value.value;
      var alias = agg.value === "count" ? "count" : agg.value + "_" + value.value;
      var params = new URLSearchParams();
      params.set("_group_by", group);
      params.set("_agg", aggText);
      params.set("_sort_desc", alias);
      params.set("_limit", String(MAX_GROUPS));
      params.set("_total", "false");
      status.textContent = "";
      fetch(texts.rows_url + "?" + params.toString(), { headers: { Accept: "application/json" } })
        .then(function (response) {
          if (!response.ok) { throw new Error(String(response.status)); }
          return response.json();
        })
        .then(function (body) {
          var labels = body.rows.map(function (r) { return r[group] === null ? "—" : String(r[group]); });
          var values = body.rows.map(function (r) { return r[alias]; });
          if (!labels.length) { status.textContent = texts.empty; }
          if (!window.echarts) { status.textContent = texts.failed; return; }
          var type = form.elements.type.value;
          // The box takes its height once there is a chart to show; lying bars get a row each.
          box.setAttribute("data-drawn", type);
          var options = chartOptions(type, labels, values, texts.series, box.clientWidth);
          box.style.height = options.horizontal ? Math.max(240, labels.length * 30 + 60) + "px" : "";
          delete options.horizontal;
          if (!chart) {
            chart = window.echarts.init(box, null, { renderer: "canvas" });
            window.addEventListener("resize", function () { chart.resize(); });
          }
          chart.resize();
          chart.setOption(options, true);
        })
        .catch(function () { status.textContent = texts.failed; });
    });

    // A column whose values repeat (chosen by the server from the preview) is drawn at once;
    // without one the status line says what to do, and the empty box takes no room.
    if (texts.default_group) {
      form.requestSubmit();
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupChart();
  });
})();
