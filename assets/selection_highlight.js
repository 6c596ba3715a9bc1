/* The explore page's selection in the browser.
   listen: a box or lasso in a linked scatter sends only its geometry (the box's range, the lasso's outline;
   the drawn points' positions only for a selection without a shape) to the raw-selection store, from which the
   server makes the cell mask over all cells. dcc.Graph's own listener is removed from these plots, so their
   selectedData stays empty: it lists every selected point, and passing 37k point objects through the page's
   state holds the browser for about half a second before any request leaves.
   highlight: every linked scatter's points carry their cell's row in the run (customdata), and the selection
   arrives once as packed bits (dashboard/selection.py packed_bits), so a new selection redraws the drawn
   traces in place (redrawSelected) instead of fetching six figures again (all but the panel it was drawn in,
   which Plotly has highlighted itself). No selection (null) shows every point plainly and
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
        redrawSelected: function (gd, traces, values) {
            /* Plotly's own path for a box or lasso in a WebGL scatter (scattergl/select.js and the redraw after
               it in cartesian/select.js): each trace's points go into its scene's selected and unselected
               batches and the canvas is drawn again, with no recalculation of the traces. A restyle of
               selectedpoints recalculates and replots the whole figure: at 100k cells, 0.1-0.4 s per panel.
               The traces' selectedpoints are set too, so that a later replot (zoom, resize) keeps the
               selection. Returns false (the caller restyles) where the figure is not plain scattergl. */
            var fl = gd._fullLayout, byIndex = {};
            if (!fl || !fl._glcanvas || !gd.calcdata) { return false; }
            for (var c = 0; c < gd.calcdata.length; c++) {
                var cd0 = gd.calcdata[c][0], k = traces.indexOf(cd0 && cd0.trace && cd0.trace.index);
                if (k < 0) { continue; }
                var scene = cd0.t && cd0.t._scene;
                if (cd0.trace.type !== 'scattergl' || !scene || !scene.select2d || !scene.scatter2d ||
                    !scene.selectBatch || !scene.markerUnselectedOptions) { return false; }
                byIndex[c] = k;
            }
            Object.keys(byIndex).forEach(function (c) {
                var cd0 = gd.calcdata[c][0], scene = cd0.t._scene, i = cd0.t.index, picked = values[byIndex[c]];
                var n = cd0.trace._length, update = new Array(scene.count);
                if (picked) {
                    var flag = new Uint8Array(n), rest = [];
                    for (var j = 0; j < picked.length; j++) { flag[picked[j]] = 1; }
                    for (var j = 0; j < n; j++) { if (!flag[j]) { rest.push(j); } }
                    scene.selectBatch[i] = picked; scene.unselectBatch[i] = rest;
                    update[i] = scene.markerUnselectedOptions[i];
                } else {
                    scene.selectBatch[i] = []; scene.unselectBatch[i] = [];
                    update[i] = scene.markerOptions[i];
                }
                scene.scatter2d.update.apply(scene.scatter2d, update);
                if (picked) { gd.data[cd0.trace.index].selectedpoints = cd0.trace.selectedpoints = picked; }
                else { delete gd.data[cd0.trace.index].selectedpoints; delete cd0.trace.selectedpoints; }
            });
            window.dash_clientside.selection.drawWhenSeen(gd);
            return true;
        },
        redraw: function (gd) {
            // as Plotly redraws after a selection: every WebGL canvas cleared, then every subplot's scene drawn
            var fl = gd._fullLayout;
            if (!fl || !fl._glcanvas) { return; }
            fl._glcanvas.each(function (d) { if (d.regl) { d.regl.clear({color: true, depth: true}); } });
            Object.keys(fl._plots || {}).forEach(function (id) { var s = fl._plots[id]._scene; if (s) { s.draw(); } });
        },
        drawWhenSeen: function (gd) {
            /* A panel in view is drawn now; one below the fold (or in a hidden tab) when it comes into view.
               Its traces hold the selection at once either way. Drawing a WebGL canvas costs the same whether
               or not it is seen, and four of the page's six linked scatters start below the fold. */
            var self = window.dash_clientside.selection, r = gd.getBoundingClientRect();
            var seen = r.width > 0 && r.bottom > 0 && r.right > 0 && r.top < window.innerHeight && r.left < window.innerWidth;
            if (seen || !window.IntersectionObserver) { gd.__drawPending = false; self.redraw(gd); return; }
            gd.__drawPending = true;
            if (!gd.__drawObserver) {
                gd.__drawObserver = new IntersectionObserver(function (entries) {
                    if (gd.__drawPending && entries.some(function (e) { return e.isIntersecting; })) {
                        gd.__drawPending = false;
                        self.redraw(gd);
                    }
                });
                gd.__drawObserver.observe(gd);
            }
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
                cleared.then(function () {
                    if (!self.redrawSelected(gd, traces, values)) { Plotly.restyle(gd, {selectedpoints: values}, traces); }
                });
                shown += 1;
            });
            return {graphs: shown, at: Date.now()};
        }
    }
});
