/* The explore page's selection in the browser.
   listen: a box or lasso in a linked scatter sends only its geometry (the box's range, the lasso's outline;
   the drawn points' positions only for a selection without a shape) to the raw-selection store, from which the
   server makes the cell mask over all cells. dcc.Graph's own listener is removed from these plots, so their
   selectedData stays empty: it lists every selected point, and passing 37k point objects through the page's
   state holds the browser for about half a second before any request leaves.
   highlight: every linked scatter's points carry their cell's row in the run (customdata), and the selection
   arrives once as packed bits (dashboard/selection.py packed_bits), so a new selection restyles the drawn
   traces in place instead of fetching six figures again (all but the panel it was drawn in, which Plotly has
   highlighted itself). No selection (null) shows every point plainly and
   removes the drawn selection outlines. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    selection: {
        gesture: function (source, ev, gd) {
            var out = {source: source, at: Date.now()};
            var shapes = (gd.layout && gd.layout.selections) || [];
            var shape = shapes.length === 1 ? shapes[0] : null;  // a selection made through Plotly's API
            if (ev.range) { out.range = ev.range; }
            else if (ev.lassoPoints) { out.lassoPoints = ev.lassoPoints; }
            else if (shape && shape.type === 'rect') {
                out.range = {x: [shape.x0, shape.x1], y: [shape.y0, shape.y1]};
            } else if (shape && shape.type === 'path' && shape.path) {
                var xy = shape.path.replace(/[MZ]/g, '').split('L').map(function (p) { return p.split(',').map(Number); });
                out.lassoPoints = {x: xy.map(function (p) { return p[0]; }), y: xy.map(function (p) { return p[1]; })};
            } else if (ev.points && ev.points.length) {
                out.points = ev.points.map(function (p) { return {x: p.x, y: p.y}; });
            } else { return null; }
            return out;
        },
        axisChange: function (ev) {
            // the part of a plotly_relayout event that moves an axis (zoom, pan, autoscale), or null
            var out = null;
            Object.keys(ev || {}).forEach(function (k) {
                if (/^[xy]axis\d*\.(range|autorange)/.test(k)) { out = out || {}; out[k] = ev[k]; }
            });
            return out;
        },
        attach: function (gd, id) {
            // ours are the only listeners: dcc.Graph's own ones are removed. Its plotly_selected listener turns
            // the event into selectedData; its plotly_relayout listener copies each changed layout key (a
            // drawn selection's outline, the drag mode) back into the figure prop, which replots the whole
            // figure (100k points) and fires every callback on the figure: a box or lasso on the UMAP waited
            // ~250 ms for it before its request left. Ours passes on zoom and pan only, as relayoutData (the
            // shared link's zoom), which a selection no longer overwrites.
            var self = window.dash_clientside.selection;
            var selected = gd._ev.listeners('plotly_selected'), relayout = gd._ev.listeners('plotly_relayout');
            if (selected.length === 1 && selected[0] === gd.__selectionHandler &&
                relayout.length === 1 && relayout[0] === gd.__relayoutHandler) { return; }
            gd.__selectionHandler = gd.__selectionHandler || function (ev) {
                var message = ev && self.gesture(id, ev, gd);
                if (message) { window.dash_clientside.set_props('raw-selection', {data: message}); }
            };
            gd.__relayoutHandler = gd.__relayoutHandler || function (ev) {
                var axes = self.axisChange(ev);
                if (axes) { window.dash_clientside.set_props(id, {relayoutData: axes}); }
            };
            gd.removeAllListeners('plotly_selected');
            gd.on('plotly_selected', gd.__selectionHandler);
            gd.removeAllListeners('plotly_relayout');
            gd.on('plotly_relayout', gd.__relayoutHandler);
        },
        listen: function (figure, id) {
            var self = window.dash_clientside.selection;
            var attach = function (tries) {
                var gd = document.querySelector('#' + id + ' .js-plotly-plot');
                if (!gd || !gd.on || !gd._ev) { if (tries < 200) { setTimeout(function () { attach(tries + 1); }, 50); } return; }
                self.attach(gd, id);
                // dcc.Graph binds its listeners after its first draw: check again after each draw
                if (gd.__selectionEvents !== gd._ev) {
                    gd.__selectionEvents = gd._ev;
                    gd.on('plotly_afterplot', function () { self.attach(gd, id); });
                }
            };
            attach(0);
            return window.dash_clientside.no_update;
        },
        bitsFrom: function (b64) {
            var text = atob(b64), bits = new Uint8Array(text.length);
            for (var i = 0; i < text.length; i++) { bits[i] = text.charCodeAt(i); }
            return bits;
        },
        pointsIn: function (rows, bits) {
            var picked = [];
            for (var i = 0; i < rows.length; i++) {
                var r = rows[i];
                if ((bits[r >> 3] >> (7 - (r & 7))) & 1) { picked.push(i); }
            }
            return picked;
        },
        highlight: function (selection, graphIds) {
            var self = window.dash_clientside.selection;
            var bits = selection ? self.bitsFrom(selection.bits) : null, shown = 0;
            (graphIds || []).forEach(function (id) {
                var gd = document.querySelector('#' + id + ' .js-plotly-plot');
                if (!gd || !gd._fullData) { return; }
                var outlined = gd._fullLayout.selections && gd._fullLayout.selections.length;
                // the panel the box or lasso was drawn in: Plotly has highlighted the same points already
                if (bits && outlined && selection.drawn_in === id) { shown += 1; return; }
                var traces = [], values = [];
                gd._fullData.forEach(function (t) {
                    if (!t.customdata || !t.customdata.length) { return; }
                    traces.push(t.index);
                    values.push(bits ? self.pointsIn(t.customdata, bits) : null);
                });
                if (!traces.length) { return; }
                var cleared = (!bits && outlined) ? Plotly.relayout(gd, {selections: []}) : Promise.resolve();
                cleared.then(function () { Plotly.restyle(gd, {selectedpoints: values}, traces); });
                shown += 1;
            });
            return {graphs: shown, at: Date.now()};
        }
    }
});
