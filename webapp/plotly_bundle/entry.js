// The trace types Foresight's pages draw, and nothing else: plotly.js' core (which carries
// scatter) plus these modules is 1.2 MB minified instead of the full bundle's 4.8 MB, which
// the browser spends about a second parsing on a 2-core machine before the first chart.
// A figure with a type missing here would be drawn as an empty scatter, so the browser tests
// check every drawn trace kept its type (tests/browser/conftest.py).
var Plotly = require('plotly.js/lib/core');

Plotly.register([
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/candlestick'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/histogram'),
]);

module.exports = Plotly;
