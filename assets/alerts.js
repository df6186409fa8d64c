// Browser side of alerts: the Notification API (after the user allows it) and the permission
// button on the Alerts page. Nothing here talks to the server: callbacks hand it data.
(function () {
  function permission() {
    return "Notification" in window ? Notification.permission : "unsupported";
  }

  function show(items) {
    if (!Array.isArray(items) || permission() !== "granted") {
      return 0;
    }
    let shown = 0;
    items.forEach(function (item) {
      try {
        // One tag per event: a second tab showing the same event replaces, not repeats, it.
        new Notification(item.title || "Foresight alert",
                         { body: item.body || "", tag: "foresight-alert-" + item.id });
        shown += 1;
      } catch (error) {
        console.warn("notification failed", error);
      }
    });
    return shown;
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    alerts: {
      notify: function (items) {
        return String(show(items));
      },
      permission: function (clicks) {
        if (!("Notification" in window)) {
          return "This browser has no notifications.";
        }
        if (clicks && Notification.permission === "default") {
          Notification.requestPermission().then(function (state) {
            const label = document.getElementById("account-alerts-permission-state");
            if (label) {
              label.textContent = "Browser notifications: " + state;
            }
          });
          return "Browser notifications: asking…";
        }
        return "Browser notifications: " + Notification.permission;
      },
      test: function (clicks) {
        if (!clicks) {
          return window.dash_clientside.no_update;
        }
        const shown = show([{ id: "test-" + Date.now(), title: "Foresight test notification",
                              body: "Browser notifications work." }]);
        return shown ? "Test notification shown." :
          "Not shown: allow browser notifications first (" + permission() + ").";
      },
    },
  });
})();
