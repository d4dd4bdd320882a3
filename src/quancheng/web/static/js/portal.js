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

  function chartOptions(type, labels, values, series) {
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
    base.xAxis = { type: "category", data: labels, axisLabel: { width: 120, overflow: "truncate" } };
    base.yAxis = { type: "value" };
    base.series = [{ name: series, type: type, data: values, smooth: type === "line" }];
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
          if (!chart) {
            chart = window.echarts.init(box, null, { renderer: "canvas" });
            window.addEventListener("resize", function () { chart.resize(); });
          }
          var type = form.elements.type.value;
          chart.setOption(chartOptions(type, labels, values, texts.series), true);
          box.setAttribute("data-drawn", type);
        })
        .catch(function () { status.textContent = texts.failed; });
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    setupCopy();
    setupChart();
  });
})();
