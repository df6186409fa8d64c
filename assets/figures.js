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
    const out = Object.assign({}, layout, {
      margin: Object.assign({}, layout.margin || {}, { l: 4, r: 4 }),
      font: Object.assign({}, layout.font || {}, { size: 10 }),
    });
    if (layout.legend && layout.legend.orientation === "h") out.showlegend = false;
    if (layout.title && layout.title.text) out.title = Object.assign({}, layout.title, { font: { size: 12 } });
    return out;
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
        return { data: figure.data || [], layout: layout, frames: figure.frames || [] };
      },
    },
  });
})();
