// Put back the built-ins Dash's polyfill@7 (core-js 2) replaced with slow JavaScript versions.
// The inline script at the top of <head> (webapp/page_scripts.py) saved the natives before any
// other script ran; this file runs right after the polyfill and React, before everything else.
(function () {
  var saved = window.__foresightNatives || [];
  var restored = [];
  for (var i = 0; i < saved.length; i += 1) {
    var owner = saved[i][0], name = saved[i][1], native = saved[i][2];
    if (typeof native === "function" && owner[name] !== native) {
      Object.defineProperty(owner, name, {value: native, writable: true, configurable: true,
                                          enumerable: false});
      restored.push(saved[i][3]);
    }
  }
  window.__foresightRestoredNatives = restored;
})();
