'use strict';
// plotly.js with only the trace types scResponse's pages draw (scatter is in core)
var Plotly = require('plotly.js/lib/core');
Plotly.register([
    require('plotly.js/lib/scattergl'),
    require('plotly.js/lib/bar'),
    require('plotly.js/lib/histogram'),
    require('plotly.js/lib/box'),
    require('plotly.js/lib/violin'),
    require('plotly.js/lib/heatmap'),
    require('plotly.js/lib/image'),
]);
module.exports = Plotly;
