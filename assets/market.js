// Market page helpers that run in the browser only: URL state and linked timeframe ranges.
(function () {
  function graphDiv(id) {
    const holder = document.getElementById(JSON.stringify(id, Object.keys(id).sort()));
    return holder ? holder.querySelector(".js-plotly-plot") : null;
  }

  function toMs(value) {
    if (typeof value === "number") return value;
    return new Date(String(value).replace(" ", "T") + "Z").getTime();
  }

  // Fit each panel's y range to the bars visible after a zoom, pan or range button.
  function fitY(gd) {
    const axes = (gd.layout.meta && gd.layout.meta.fit_axes) || [];
    const xa = gd._fullLayout && gd._fullLayout.xaxis;
    if (!xa || !xa.range) return;
    const x0 = toMs(xa.range[0]);
    const x1 = toMs(xa.range[1]);
    const update = {};
    for (const axis of axes) {
      const ref = "y" + axis.slice(5);
      let low = Infinity;
      let high = -Infinity;
      for (const trace of gd._fullData) {
        if ((trace.yaxis || "y") !== ref || trace.visible !== true) continue;
        const keys = trace.type === "candlestick" ? ["low", "high"] : ["y"];
        const xs = trace.x || [];
        for (const key of keys) {
          const values = trace[key] || [];
          for (let i = 0; i < xs.length; i += 1) {
            const xv = toMs(xs[i]);
            if (xv < x0 || xv > x1) continue;
            const v = values[i];
            if (v === null || v === undefined || !isFinite(v)) continue;
            if (v < low) low = v;
            if (v > high) high = v;
          }
        }
        if (trace.fill === "tozeroy") low = Math.min(low, 0);
      }
      if (isFinite(low) && isFinite(high)) {
        const margin = (high - low) * 0.04 || Math.abs(high) * 0.01 || 1;
        update[axis + ".range"] = [low - margin, high + margin];
      }
    }
    if (Object.keys(update).length) window.Plotly.relayout(gd, update);
  }

  // gd.data keeps plotly's base64 specs as sent; extendTraces needs real (typed) arrays.
  const decode = (value) => window.foresight.decode(value);

  function sameKind(target, values) {
    const clean = values.map((v) => (v === null ? NaN : v));
    return target && target.constructor && target.constructor !== Array ?
      new target.constructor(clean) : values;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    market: {
      // Live bars: append to the traces already drawn (no new figure, no redraw from scratch).
      applyLive: function (update) {
        const gd = graphDiv({ type: "fig-graph", name: "market" });
        if (!update || !gd || !gd.data || !window.Plotly) return window.dash_clientside.no_update;
        for (const group of update.groups) {
          const data = {};
          for (const key of Object.keys(group.data)) {
            data[key] = group.data[key].map((values, n) => {
              const trace = gd.data[group.indices[n]];
              trace[key] = decode(trace[key]);
              return sameKind(trace[key], values);
            });
          }
          window.Plotly.extendTraces(gd, data, group.indices);
        }
        return update.last;
      },
      fitVisible: function (relayout) {
        if (!relayout || !window.Plotly) return window.dash_clientside.no_update;
        const keys = Object.keys(relayout);
        if (!keys.some((k) => k.indexOf("xaxis") === 0)) return window.dash_clientside.no_update;
        const gd = graphDiv({ type: "fig-graph", name: "market" });
        if (gd) fitY(gd);
        return Date.now();
      },
      // Keep ?symbol=&interval=&ind= in the address bar so a view can be shared. replaceState
      // does not reload the page nor re-run the page router.
      syncUrl: function (symbol, interval, tokens) {
        if (window.location.pathname !== "/") return window.dash_clientside.no_update;
        const params = new URLSearchParams();
        if (symbol) params.set("symbol", symbol);
        if (interval) params.set("interval", interval);
        params.set("ind", (tokens || []).join(","));
        const search = "?" + params.toString();
        if (window.location.search !== search) {
          window.history.replaceState(window.history.state, "", window.location.pathname + search);
        }
        return search;
      },
      // Zooming one multi-timeframe panel zooms the others to the same dates.
      linkRanges: function () {
        const ctx = window.dash_clientside.callback_context;
        const trigger = ctx.triggered_id;
        if (!trigger || typeof trigger !== "object" || String(trigger.name).indexOf("mtf-") !== 0) {
          return window.dash_clientside.no_update;
        }
        const source = graphDiv(trigger);
        if (!source || !source.layout || !source.layout.xaxis) return window.dash_clientside.no_update;
        const axis = source.layout.xaxis;
        const update = axis.autorange ? { "xaxis.autorange": true } :
          { "xaxis.range[0]": axis.range[0], "xaxis.range[1]": axis.range[1] };
        for (let n = 0; n < 3; n += 1) {
          const name = "mtf-" + n;
          if (name === trigger.name) continue;
          const other = graphDiv({ type: trigger.type, name: name });
          if (!other || !other.layout || !other.layout.xaxis || !window.Plotly) continue;
          const theirs = other.layout.xaxis;
          const same = axis.autorange ? theirs.autorange :
            (theirs.range && String(theirs.range[0]) === String(axis.range[0]) &&
             String(theirs.range[1]) === String(axis.range[1]));
          if (!same) window.Plotly.relayout(other, update).then(() => fitY(other));
        }
        fitY(source);
        return Date.now();
      },
    },
  });
})();
