// Theme handling runs in the browser only: the server never needs to know it.
// Applied before Dash renders, so a dark-mode user never sees a white flash.
(function () {
  const STORE_KEY = "theme-store";  // dcc.Store(id="theme-store", storage_type="local")

  function systemTheme() {
    return window.matchMedia && window.matchMedia("(prefers-color-scheme: dark)").matches
      ? "dark" : "light";
  }

  function storedTheme() {
    try {
      const value = JSON.parse(window.localStorage.getItem(STORE_KEY));
      return value === "dark" || value === "light" ? value : null;
    } catch (error) {
      return null;
    }
  }

  function apply(theme) {
    document.documentElement.setAttribute("data-bs-theme", theme);
  }

  apply(storedTheme() || systemTheme());

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    theme: {
      sync: function (switchOn, stored) {
        const context = window.dash_clientside.callback_context;
        const triggered = (context.triggered || []).map((t) => t.prop_id);
        let theme;
        if (triggered.includes("theme-switch.value")) {
          theme = switchOn ? "dark" : "light";
        } else {
          theme = stored === "dark" || stored === "light" ? stored : systemTheme();
        }
        apply(theme);
        document.dispatchEvent(new CustomEvent("foresight:theme", { detail: theme }));
        return [theme === "dark", theme];
      },
    },
  });
})();
