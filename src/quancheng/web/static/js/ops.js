/* The operations centre's big screen: draws the board's JSON with ECharts, kept live by
   Server-Sent Events (/ops/stream), falling back to polling /ops/board.json. */
(function () {
  "use strict";

  var FONT = '-apple-system, "PingFang SC", "Hiragino Sans GB", "Microsoft YaHei", ' +
    '"Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei", sans-serif';
  var TEXT = "#dce6f5";
  var MUTED = "#8ea3bf";
  var LINE = "#1d3352";
  var COLORS = { on: "#f2c94c", off: "#50627d", faulty: "#ff5d5d", accent: "#3ba4ff", good: "#38c98a" };
  // HJ 633-2012 AQI levels and their official colours.
  var AQI_LEVELS = [
    { max: 50, key: "good", color: "#00e400" },
    { max: 100, key: "moderate", color: "#ffff00" },
    { max: 150, key: "sensitive", color: "#ff7e00" },
    { max: 200, key: "unhealthy", color: "#ff0000" },
    { max: 300, key: "very_unhealthy", color: "#99004c" },
    { max: 100000, key: "hazardous", color: "#7e0023" },
  ];
  var POLL_MS = 10000;

  var config = readJson("ops-config");
  if (!config || !window.echarts) { return; }
  var labels = config.labels || {};
  var charts = {};
  var board = readJson("ops-board");
  var mapReady = false;
  var centres = []; // each district's label point, from the map's GeoJSON
  var layer = "aqi";
  var csrf = (document.querySelector('meta[name="csrf-token"]') || {}).content || "";
  // Alarms acknowledged from this screen (the board may lag by a few seconds).
  var acked = {};

  // Times are shown in the city's time zone (the board names it), not the browser's: the
  // wall and a laptop elsewhere read the same hours, and never UTC sliced out of a timestamp.
  function cityTime(iso, kind) {
    if (!iso) { return ""; }
    var opts = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (kind === "date") { opts.month = "2-digit"; opts.day = "2-digit"; }
    if (kind === "seconds") { opts.second = "2-digit"; }
    var when = new Date(iso);
    try {
      opts.timeZone = (board && board.timezone) || undefined;
      return new Intl.DateTimeFormat(document.documentElement.lang || undefined, opts).format(when);
    } catch (e) {
      return when.toLocaleString();
    }
  }

  function readJson(id) {
    var el = document.getElementById(id);
    if (!el) { return null; }
    try { return JSON.parse(el.textContent || "null"); } catch (e) { return null; }
  }

  function chart(name) {
    if (!charts[name]) {
      var el = document.querySelector('[data-chart="' + name + '"]');
      if (!el) { return null; }
      charts[name] = window.echarts.init(el, null, { renderer: "canvas" });
    }
    return charts[name];
  }

  function districtName(d) {
    return config.english ? d.name_en : d.name;
  }

  function aqiColor(value) {
    if (value === null || value === undefined) { return "#2a3b55"; }
    for (var i = 0; i < AQI_LEVELS.length; i++) {
      if (value <= AQI_LEVELS[i].max) { return AQI_LEVELS[i].color; }
    }
    return AQI_LEVELS[AQI_LEVELS.length - 1].color;
  }

  function base() {
    return {
      textStyle: { fontFamily: FONT, color: TEXT },
      grid: { left: 8, right: 16, top: 28, bottom: 8, containLabel: true },
      tooltip: { trigger: "axis", renderMode: "richText", axisPointer: { type: "shadow" } },
      animationDuration: 400,
    };
  }

  function axis(type, data) {
    return {
      type: type,
      data: data,
      axisLine: { lineStyle: { color: LINE } },
      axisLabel: { color: MUTED, fontSize: 11 },
      splitLine: { lineStyle: { color: LINE } },
    };
  }

  // -- the panels ---------------------------------------------------------------------------

  function drawLamps(data) {
    var c = chart("lamps");
    if (!c) { return; }
    var names = data.districts.map(districtName);
    var opt = base();
    opt.legend = { top: 0, right: 0, textStyle: { color: MUTED }, itemWidth: 10, itemHeight: 10 };
    opt.xAxis = axis("category", names);
    opt.xAxis.axisLabel.interval = 0;
    opt.xAxis.axisLabel.rotate = 40;
    opt.yAxis = axis("value");
    opt.series = ["on", "off", "faulty"].map(function (key) {
      return {
        name: labels[key],
        type: "bar",
        stack: "lamps",
        itemStyle: { color: COLORS[key] },
        data: data.districts.map(function (d) { return d.lamps[key]; }),
      };
    });
    c.setOption(opt, true);
  }

  function drawEnergy(data) {
    var c = chart("energy");
    if (!c) { return; }
    var opt = base();
    opt.xAxis = axis("category", data.districts.map(districtName));
    opt.xAxis.axisLabel.interval = 0;
    opt.xAxis.axisLabel.rotate = 40;
    opt.yAxis = axis("value");
    opt.series = [{
      name: labels.energy,
      type: "bar",
      barMaxWidth: 22,
      itemStyle: { color: COLORS.accent, borderRadius: [3, 3, 0, 0] },
      data: data.districts.map(function (d) { return d.energy_kwh; }),
    }];
    c.setOption(opt, true);
  }

  function drawAir(data) {
    var c = chart("air");
    if (!c) { return; }
    var rows = data.districts.slice().sort(function (a, b) { return (b.aqi || 0) - (a.aqi || 0); });
    var opt = base();
    opt.grid.left = 4;
    opt.xAxis = axis("value");
    opt.yAxis = axis("category", rows.map(districtName).reverse());
    // Twelve districts in a short panel: ECharts would drop every other name.
    opt.yAxis.axisLabel.interval = 0;
    opt.yAxis.axisLabel.fontSize = 10;
    opt.series = [{
      name: labels.aqi,
      type: "bar",
      barMaxWidth: 12,
      label: { show: true, position: "right", color: TEXT, fontSize: 11 },
      data: rows.map(function (d) {
        return { value: d.aqi, itemStyle: { color: aqiColor(d.aqi) } };
      }).reverse(),
    }];
    c.setOption(opt, true);
  }

  function drawTraffic(data) {
    var c = chart("traffic");
    if (!c) { return; }
    var opt = base();
    opt.legend = { top: 0, right: 0, textStyle: { color: MUTED }, itemWidth: 10, itemHeight: 10 };
    opt.xAxis = axis("category", data.districts.map(districtName));
    opt.xAxis.axisLabel.interval = 0;
    opt.xAxis.axisLabel.rotate = 40;
    opt.yAxis = [axis("value"), axis("value")];
    opt.yAxis[1].splitLine = { show: false };
    opt.series = [
      {
        name: labels.vehicles,
        type: "bar",
        barMaxWidth: 18,
        itemStyle: { color: "#6c8cff" },
        data: data.districts.map(function (d) { return d.traffic.vehicles; }),
      },
      {
        name: labels.speed,
        type: "line",
        yAxisIndex: 1,
        symbolSize: 5,
        itemStyle: { color: COLORS.good },
        data: data.districts.map(function (d) { return d.traffic.speed; }),
      },
    ];
    c.setOption(opt, true);
  }

  function drawSprings(data) {
    var c = chart("springs");
    if (!c) { return; }
    // Springs sit at different heights (百脉泉 ~38 m, 趵突泉 ~29 m): what matters is how far
    // each is above the level at which it stops gushing.
    var springs = (data.springs || []).filter(function (s) { return s.level !== null; });
    var opt = base();
    opt.tooltip = {
      trigger: "item",
      renderMode: "richText",
      formatter: function (p) {
        var s = springs[p.dataIndex];
        return s.name + "\n" + labels.level + ": " + s.level.toFixed(2) +
          (s.stop === null ? "" : "\n" + labels.stop + ": " + s.stop.toFixed(2));
      },
    };
    opt.xAxis = axis("category", springs.map(function (s) { return s.name; }));
    opt.xAxis.axisLabel.interval = 0;
    opt.xAxis.axisLabel.rotate = 30;
    opt.yAxis = axis("value");
    opt.series = [{
      name: labels.margin,
      type: "bar",
      barMaxWidth: 18,
      label: { show: true, position: "top", color: TEXT, fontSize: 11, formatter: function (p) { return p.value.toFixed(2); } },
      data: springs.map(function (s) {
        var margin = s.stop === null ? 0 : s.level - s.stop;
        return { value: Math.round(margin * 100) / 100, itemStyle: { color: margin <= 0.3 ? COLORS.faulty : "#2bb3d9" } };
      }),
    }];
    c.setOption(opt, true);
  }

  function drawTrends(data) {
    var c = chart("trends");
    if (!c) { return; }
    var hours = data.trends.alarms_per_hour || [];
    // The lower chart: hourly means from the telemetry history when the platform keeps one,
    // else what this screen's server has seen since it started (one point a minute).
    var history = data.trends.aqi_hourly || [];
    var live = history.length > 1
      ? history.map(function (h, i) {
        var faulty = (data.trends.lamp_power_hourly || [])[i];
        return { at: h.hour, aqi: h.mean, faulty: null, power: faulty ? faulty.mean : null };
      })
      : (data.trends.live || []);
    var opt = base();
    opt.legend = { top: 0, right: 0, textStyle: { color: MUTED }, itemWidth: 10, itemHeight: 10 };
    opt.grid = [
      { left: 8, right: 12, top: 28, height: "34%", containLabel: true },
      { left: 8, right: 12, bottom: 6, height: "34%", containLabel: true },
    ];
    opt.xAxis = [
      axis("category", hours.map(function (h) { return cityTime(h.hour); })),
      axis("category", live.map(function (p) { return cityTime(p.at); })),
    ];
    opt.xAxis[1].gridIndex = 1;
    opt.yAxis = [axis("value"), axis("value")];
    opt.yAxis[0].minInterval = 1;
    opt.yAxis[1].gridIndex = 1;
    // Each chart is a few dozen pixels high: three labels read, six overlap.
    opt.yAxis.forEach(function (y) { y.splitNumber = 2; });
    // No alarm in the last hours is good news, not an empty frame that looks broken.
    var quiet = !hours.some(function (h) { return h.raised > 0; });
    opt.graphic = quiet ? [{
      type: "text",
      left: "center",
      top: "22%",
      style: { text: labels.no_alarms_hours || "", fill: MUTED, fontSize: 12 },
    }] : [];
    opt.series = [
      {
        name: labels.raised,
        type: "bar",
        itemStyle: { color: COLORS.faulty },
        data: hours.map(function (h) { return h.raised; }),
      },
      {
        name: labels.aqi,
        type: "line",
        xAxisIndex: 1,
        yAxisIndex: 1,
        showSymbol: false,
        itemStyle: { color: "#ffb547" },
        data: live.map(function (p) { return p.aqi; }),
      },
      {
        name: labels.faulty,
        type: "line",
        xAxisIndex: 1,
        yAxisIndex: 1,
        showSymbol: false,
        itemStyle: { color: COLORS.faulty },
        data: live.map(function (p) { return p.faulty; }),
      },
    ];
    c.setOption(opt, true);
  }

  // -- the map ------------------------------------------------------------------------------

  function regionValue(d) {
    if (layer === "faulty") {
      return d.lamps.total ? Math.round((1000 * d.lamps.faulty) / d.lamps.total) / 10 : 0;
    }
    if (layer === "alarms") { return d.alarms; }
    return d.aqi;
  }

  function visualMap(data) {
    if (layer === "aqi") {
      return {
        type: "piecewise",
        left: 8,
        bottom: 8,
        textStyle: { color: MUTED },
        itemWidth: 12,
        itemHeight: 8,
        pieces: AQI_LEVELS.map(function (l, i) {
          var min = i === 0 ? 0 : AQI_LEVELS[i - 1].max + 1;
          return i === AQI_LEVELS.length - 1
            ? { min: min, color: l.color, label: labels[l.key] }
            : { min: min, max: l.max, color: l.color, label: labels[l.key] };
        }),
        seriesIndex: 0,
      };
    }
    var values = data.districts.map(regionValue);
    return {
      type: "continuous",
      left: 8,
      bottom: 8,
      min: 0,
      max: Math.max(1, Math.max.apply(null, values)),
      calculable: false,
      text: [layer === "faulty" ? "%" : "", ""],
      textStyle: { color: MUTED },
      inRange: { color: ["#15324f", "#f2a516", "#ff3b3b"] },
      seriesIndex: 0,
    };
  }

  function drawMap(data) {
    var c = chart("map");
    if (!c || !mapReady) { return; }
    var clusters = data.clusters || [];
    var maxCount = Math.max.apply(null, clusters.map(function (k) { return k.count; }).concat([1]));
    var size = function (n) { return 4 + 14 * Math.sqrt(n / maxCount); };
    c.setOption({
      textStyle: { fontFamily: FONT, color: TEXT },
      tooltip: { trigger: "item", renderMode: "richText" },
      visualMap: visualMap(data),
      geo: {
        map: "jinan",
        roam: true,
        top: 16,
        bottom: 16,
        nameProperty: "name",
        // The names are a series of their own (the last, drawn above the lamp markers).
        label: { show: false },
        itemStyle: { borderColor: "#5b8fd6", borderWidth: 1, areaColor: "#12294a" },
        emphasis: { itemStyle: { areaColor: "#1f4f87" }, label: { color: "#fff" } },
      },
      series: [
        {
          name: layer === "aqi" ? labels.aqi : layer === "faulty" ? labels.faulty : labels.alarms,
          type: "map",
          geoIndex: 0,
          data: data.districts.map(function (d) { return { name: d.name, value: regionValue(d) }; }),
        },
        {
          name: labels.clusters,
          type: "scatter",
          coordinateSystem: "geo",
          symbolSize: function (v) { return size(v[2]); },
          itemStyle: { color: COLORS.on, opacity: 0.75 },
          data: clusters.filter(function (k) { return !k.faulty; }).map(function (k) {
            return [k.lon, k.lat, k.count, k.on];
          }),
          tooltip: { formatter: function (p) { return labels.lamps + ": " + p.value[2] + "  " + labels.on + ": " + p.value[3]; } },
        },
        {
          name: labels.faulty,
          type: "effectScatter",
          coordinateSystem: "geo",
          rippleEffect: { scale: 3, brushType: "stroke" },
          symbolSize: function (v) { return Math.max(6, size(v[2])); },
          itemStyle: { color: COLORS.faulty },
          data: clusters.filter(function (k) { return k.faulty; }).slice(0, 200).map(function (k) {
            return [k.lon, k.lat, k.count, k.faulty];
          }),
          tooltip: { formatter: function (p) { return labels.lamps + ": " + p.value[2] + "  " + labels.faulty + ": " + p.value[3]; } },
        },
        {
          name: labels.stations,
          type: "scatter",
          coordinateSystem: "geo",
          symbol: "diamond",
          symbolSize: 11,
          data: (data.stations || []).map(function (s) {
            return { name: s.name, value: [s.lon, s.lat, s.aqi], itemStyle: { color: aqiColor(s.aqi), borderColor: "#fff", borderWidth: 1 } };
          }),
          tooltip: { formatter: function (p) { return p.name + "  " + labels.aqi + ": " + (p.value[2] === null ? "—" : p.value[2]); } },
        },
        {
          name: "districts",
          type: "scatter",
          coordinateSystem: "geo",
          symbolSize: 0,
          silent: true,
          z: 10,
          tooltip: { show: false },
          label: {
            show: true,
            formatter: function (p) {
              var info = (config.districts || {})[p.name];
              return config.english && info ? info.en : p.name;
            },
            color: "#ffffff",
            textBorderColor: "#07111f",
            textBorderWidth: 3,
            fontSize: 11,
            fontWeight: 600,
          },
          data: centres,
        },
      ],
    }, true);
  }

  // -- alarms and commands ------------------------------------------------------------------

  function mayAct(departmentId) {
    var w = config.writable;
    return w === "all" || (Array.isArray(w) && w.indexOf(departmentId) >= 0);
  }

  // An alarm in the page's language: its rule's name, or the label of its built-in cause;
  // the stored (English) message only when neither is known.
  function alarmText(a) {
    if (a.rule_name) {
      return a.rule_name + (a.value !== null && a.value !== undefined ? " (" + labels.value + " " + a.value + ")" : "");
    }
    var label = a.cause ? labels["cause_" + a.cause] : null;
    return label || a.message;
  }

  function message(selector, text, bad) {
    var el = document.querySelector(selector);
    if (!el) { return; }
    el.textContent = text;
    el.classList.toggle("is-error", Boolean(bad));
  }

  function drawAlarms(data) {
    var list = document.querySelector("[data-alarms]");
    if (!list) { return; }
    list.textContent = "";
    if (!data.alarms.length) {
      var none = document.createElement("li");
      none.className = "alarm-none";
      none.textContent = labels.no_alarms;
      list.appendChild(none);
      return;
    }
    data.alarms.forEach(function (a) {
      if (acked[a.id] && a.state === "active") { a.state = "acknowledged"; }
      var li = document.createElement("li");
      li.className = "alarm alarm-" + a.severity + " alarm-" + a.state;
      li.dataset.alarm = String(a.id);
      var what = document.createElement("span");
      what.className = "alarm-what";
      what.textContent = a.entity_name || a.entity_id;
      var when = document.createElement("time");
      when.dateTime = a.raised_at || "";
      when.textContent = cityTime(a.raised_at, "date");
      var msg = document.createElement("span");
      msg.className = "alarm-msg";
      msg.textContent = alarmText(a) + (a.state === "acknowledged" ? " · " + labels.acknowledged : "");
      li.appendChild(what);
      li.appendChild(when);
      li.appendChild(msg);
      if (a.state === "active" && mayAct(a.department_id)) {
        var button = document.createElement("button");
        button.type = "button";
        button.textContent = labels.acknowledge;
        button.addEventListener("click", function () { acknowledge(a.id, button); });
        li.appendChild(button);
      }
      list.appendChild(li);
    });
  }

  function post(url, body) {
    return fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "x-csrf-token": csrf, Accept: "application/json" },
      body: JSON.stringify(body || {}),
    }).then(function (response) {
      if (response.ok) { return response.json().catch(function () { return {}; }); }
      return response.json().catch(function () { return {}; }).then(function (problem) {
        var error = problem.error || problem;
        throw new Error(error.message || error.detail || error.title || String(response.status));
      });
    });
  }

  function acknowledge(id, button) {
    button.disabled = true;
    post("/api/v1/ops/alarms/" + id + "/acknowledge", {}).then(function () {
      acked[id] = true;
      message("[data-alarm-msg]", labels.acknowledged, false);
      drawAlarms(board);
    }).catch(function (err) {
      button.disabled = false;
      message("[data-alarm-msg]", labels.failed + " " + err.message, true);
    });
  }

  function wireCommands() {
    var form = document.querySelector("[data-command-form]");
    if (!form) { return; }
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      var action = form.elements.action.value;
      var body = {
        target: { district: form.elements.district.value },
        action: action,
      };
      if (action === "dim") { body.level = Number(form.elements.level.value) / 100; }
      post("/api/v1/ops/commands", body).then(function () {
        message("[data-command-msg]", labels.sent, false);
      }).catch(function (err) {
        message("[data-command-msg]", labels.failed + " " + err.message, true);
      });
    });
  }

  // -- updating -----------------------------------------------------------------------------

  function setKpis(data) {
    document.querySelectorAll("[data-kpi]").forEach(function (el) {
      var value = el.getAttribute("data-kpi").split(".").reduce(function (o, k) {
        return o === null || o === undefined ? o : o[k];
      }, data.summary);
      el.textContent = value === null || value === undefined ? "—" : Number(value).toLocaleString();
    });
    var updated = document.querySelector("[data-updated]");
    if (updated) {
      updated.dateTime = data.generated_at;
      updated.textContent = cityTime(data.generated_at, "seconds");
    }
  }

  function draw(data) {
    if (!data) { return; }
    board = data;
    setKpis(data);
    drawLamps(data);
    drawEnergy(data);
    drawAir(data);
    drawTraffic(data);
    drawSprings(data);
    drawTrends(data);
    drawMap(data);
    drawAlarms(data);
  }

  function liveState(state) {
    var el = document.querySelector("[data-live]");
    if (!el) { return; }
    el.classList.toggle("is-live", state === "live");
    el.classList.toggle("is-offline", state === "offline");
    el.textContent = labels[state] || "";
  }

  function refresh() {
    return fetch(config.board, { credentials: "same-origin", headers: { Accept: "application/json" } })
      .then(function (r) { if (!r.ok) { throw new Error(String(r.status)); } return r.json(); })
      .then(function (data) { draw(data); })
      .catch(function () { liveState("offline"); });
  }

  function poll() {
    liveState("polling");
    window.setInterval(refresh, POLL_MS);
  }

  function listen() {
    if (!window.EventSource) { poll(); return; }
    var failures = 0;
    var source = new EventSource(config.stream);
    source.addEventListener("board", function (event) {
      failures = 0;
      liveState("live");
      try { draw(JSON.parse(event.data)); } catch (e) { /* a torn event: wait for the next */ }
    });
    source.addEventListener("error", function () {
      failures += 1;
      // The server closes a stream every couple of minutes and the browser reconnects; only
      // repeated failures in a row mean push does not work here (a proxy): poll instead.
      if (failures >= 3) {
        source.close();
        poll();
      }
    });
  }

  function start() {
    document.documentElement.classList.remove("no-js");
    document.querySelectorAll("[data-layer]").forEach(function (button) {
      button.addEventListener("click", function () {
        layer = button.getAttribute("data-layer");
        document.querySelectorAll("[data-layer]").forEach(function (b) {
          b.setAttribute("aria-pressed", String(b === button));
        });
        drawMap(board);
      });
    });
    wireCommands();
    draw(board);
    fetch(config.geo, { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (geo) {
        window.echarts.registerMap("jinan", geo);
        centres = (geo.features || []).map(function (f) {
          return { name: f.properties.name, value: f.properties.center };
        }).filter(function (c) { return c.value; });
        mapReady = true;
        drawMap(board);
      });
    var resize = function () { Object.keys(charts).forEach(function (k) { charts[k].resize(); }); };
    window.addEventListener("resize", resize);
    listen();
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
