// Figures are sent theme-free; this draws them with the current theme's template and, on a
// theme switch, patches only layout.template (appended replay/live data stays on screen).
(function () {
  const NARROW = 576;

  function currentTheme(stored) {
    if (stored === "dark" || stored === "light") return stored;
    return document.documentElement.getAttribute("data-bs-theme") === "dark" ? "dark" : "light";
  }

  // Phones: no legend crowding the range buttons, smaller margins and fonts.
  function compact(layout) {
    if (window.innerWidth >= NARROW) return layout;
    const margin = Object.assign({}, layout.margin || {}, { l: 4, r: 4 });
    const meta = layout.meta || {};
    const out = Object.assign({}, layout, {
      margin: margin,
      font: Object.assign({}, layout.font || {}, { size: 10 }),
    });
    if (layout.legend && layout.legend.orientation === "h") {
      out.showlegend = false;
      // The market chart's margins are pre-settled (market_chart.settled_margins): keep them,
      // scaled to the smaller font, so automargin need not redraw.
      if (meta.top_without_legend !== undefined) {
        margin.t = meta.top_without_legend;
        margin.r = Math.ceil((layout.margin || {}).r * 0.875);
      }
    }
    if (layout.title && layout.title.text) out.title = Object.assign({}, layout.title, { font: { size: 12 } });
    return out;
  }

  const TYPED = { f8: Float64Array, f4: Float32Array, i4: Int32Array, u4: Uint32Array,
                  i2: Int16Array, u2: Uint16Array, i1: Int8Array, u1: Uint8Array };
  const FIRST_PAINT_CANDLES = 320;  // the first view's 300 bars and a few more; the rest follows
  const latest = {};  // graph id -> newest payload, so a stale full redraw is skipped

  // plotly's base64 array spec ({dtype, bdata}) -> a typed array; anything else as it is.
  // The one decoder: market.js uses it through window.foresight.decode.
  function decode(value) {
    if (!value || typeof value !== "object" || !value.bdata || !TYPED[value.dtype]) return value;
    const binary = atob(value.bdata);
    const bytes = new Uint8Array(binary.length);
    for (let i = 0; i < binary.length; i += 1) bytes[i] = binary.charCodeAt(i);
    return new TYPED[value.dtype](bytes.buffer);
  }
  window.foresight = Object.assign({}, window.foresight, { decode });

  // Thousands of candles take seconds to draw (one SVG path each). The first view shows only
  // the most recent bars, so draw those first and the full history right after.
  function firstPaint(figure) {
    const data = figure.data || [];
    const at = data.findIndex((t) => t.type === "candlestick");
    if (at < 0) return null;
    const size = decode(data[at].x).length;
    if (!size || size <= 2 * FIRST_PAINT_CANDLES) return null;
    const start = size - FIRST_PAINT_CANDLES;
    // Every trace that runs along the candles (volume, indicators) is cut the same way.
    return data.map((trace) => {
      const x = decode(trace.x);
      if (!x || x.length !== size) return trace;
      const out = Object.assign({}, trace);
      for (const key of ["x", "y", "open", "high", "low", "close"]) {
        if (out[key] === undefined) continue;
        const values = decode(out[key]);
        out[key] = values.subarray ? values.subarray(start) : values.slice(start);
      }
      return out;
    });
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    figures: {
      render: function (payload, stored) {
        if (!payload || !payload.figure) return window.dash_clientside.no_update;
        const theme = currentTheme(stored);
        const template = payload.templates ? payload.templates[theme] : undefined;
        const ctx = window.dash_clientside.callback_context;
        const triggered = (ctx.triggered || []).map((t) => t.prop_id);
        const themeOnly = triggered.length > 0 &&
          triggered.every((id) => id.indexOf("theme-store") === 0);
        if (themeOnly && window.dash_clientside.Patch) {
          return new window.dash_clientside.Patch().assign(["layout", "template"], template).build();
        }
        const figure = payload.figure;
        const layout = compact(Object.assign({}, figure.layout || {}, { template: template }));
        const full = { data: figure.data || [], layout: layout, frames: figure.frames || [] };
        const first = firstPaint(figure);
        if (!first) return full;
        const graph = ctx.outputs_list && ctx.outputs_list.id;
        const key = JSON.stringify(graph);
        latest[key] = payload;
        // Once the first paint is on screen (plotly.js may still be loading), draw it all.
        const holder = () => document.getElementById(key);
        let tries = 0;
        const later = () => {
          if (latest[key] !== payload) return;  // a newer figure replaced this one
          const gd = holder() && holder().querySelector(".js-plotly-plot");
          const drawn = gd && gd._fullData && gd._fullData.length;
          if (!drawn && tries < 200) {
            tries += 1;
            window.setTimeout(later, 50);
            return;
          }
          window.requestAnimationFrame(() => window.setTimeout(
            () => latest[key] === payload &&
              window.dash_clientside.set_props(graph, { figure: full }), 30));
        };
        window.setTimeout(later, 0);
        return { data: first, layout: layout, frames: full.frames };
      },
    },
  });
})();
