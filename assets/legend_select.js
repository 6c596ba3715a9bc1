/* A click on a legend entry of the explore page's UMAP selects that category's cells (plotly's own click would
   hide the category): the entry's name goes to the raw-selection store and the server makes the cell mask.
   Clicking the selected entry again clears it; a double click keeps plotly's "show only this one". */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    legend: {
        hook: function (figure, graphId) {
            var attach = function (tries) {
                var gd = document.querySelector('#' + graphId + ' .js-plotly-plot');
                if (!gd || !gd.on) { if (tries < 200) { setTimeout(function () { attach(tries + 1); }, 50); } return; }
                if (gd.__legendSelect) { return; }
                gd.__legendSelect = true;
                gd.on('plotly_legendclick', function (ev) {
                    var trace = ev.fullData[ev.curveNumber];
                    if (!trace || trace.showlegend === false) { return true; }
                    window.dash_clientside.set_props('raw-selection',
                        {data: {source: 'legend', category: String(trace.name), click: Date.now()}});
                    return false;
                });
            };
            attach(0);
            return window.dash_clientside.no_update;
        }
    }
});
