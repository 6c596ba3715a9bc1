/* The explore page's main UMAP, drawn in the browser (dashboard/pages/explore_umap_draw.py): the drawn cells'
   positions arrive once per run (umap-cells: uint16 steps of each axis's range), each colouring as one code per
   cell (umap-colour); this splits the cells into one trace per group, as the server's embedding figure does, and
   keeps the current selection. Arrays are base64 of little-endian typed arrays. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    umap: {
        decode: function (b64, Type) {
            var bytes;
            if (Uint8Array.fromBase64) { bytes = Uint8Array.fromBase64(b64); } else {
                var text = atob(b64);
                bytes = new Uint8Array(text.length);
                for (var i = 0; i < text.length; i++) { bytes[i] = text.charCodeAt(i); }
            }
            return new Type(bytes.buffer, bytes.byteOffset, bytes.byteLength / Type.BYTES_PER_ELEMENT);
        },
        positions: function (axis) {
            // one axis: uint16 steps of its range (value = lo + q * step), or float32 where a position is missing
            var self = window.dash_clientside.umap;
            if (axis.f) { return self.decode(axis.f, Float32Array); }
            var q = self.decode(axis.q, Uint16Array), out = new Float32Array(q.length);
            for (var i = 0; i < q.length; i++) { out[i] = axis.lo + q[i] * axis.step; }
            return out;
        },
        cells: function (cells) {
            // decoded once per run (a recolour reuses them); rows absent: every cell is drawn, in order
            var self = window.dash_clientside.umap, key = cells.run + ':' + cells.n + ':' + (cells.x.q || cells.x.f).length;
            if (!self._cells || self._cells.key !== key) {
                var rows = cells.rows ? self.decode(cells.rows, Int32Array) : new Int32Array(cells.n);
                if (!cells.rows) { for (var i = 0; i < cells.n; i++) { rows[i] = i; } }
                self._cells = {key: key, x: self.positions(cells.x), y: self.positions(cells.y), rows: rows};
            }
            return self._cells;
        },
        draw: function (cells, colour, selection) {
            var self = window.dash_clientside.umap, sel = window.dash_clientside.selection;
            if (!colour) { return window.dash_clientside.no_update; }
            if (colour.figure) { return colour.figure; }
            if (!cells || cells.run !== colour.run || cells.n !== colour.n) { return window.dash_clientside.no_update; }
            var c = self.cells(cells), n = colour.n, G = colour.groups.length;
            var codes = colour.codes ? self.decode(colour.codes, colour.codes_type === 'u1' ? Uint8Array : Int16Array) : new Uint8Array(n);
            var values = colour.values ? self.decode(colour.values, Float32Array) : null;
            var counts = new Int32Array(G), filled = new Int32Array(G), parts = [];
            for (var i = 0; i < n; i++) { counts[codes[i]]++; }
            for (var k = 0; k < G; k++) {
                parts.push({x: new Float32Array(counts[k]), y: new Float32Array(counts[k]), rows: new Int32Array(counts[k]),
                            text: colour.text ? new Array(counts[k]) : null,
                            values: values ? new Float32Array(counts[k]) : null});
            }
            for (var i = 0; i < n; i++) {
                var g = codes[i], j = filled[g]++, p = parts[g];
                p.x[j] = c.x[i]; p.y[j] = c.y[i]; p.rows[j] = c.rows[i];
                if (p.text) { p.text[j] = colour.text[i]; }
                if (p.values) { p.values[j] = values[i]; }
            }
            var bits = (selection && selection.bits) ? sel.bitsFrom(selection.bits) : null, data = [];
            colour.groups.forEach(function (group, k) {
                if (!counts[k]) { return; }
                var t = JSON.parse(JSON.stringify(colour.trace)), p = parts[k];
                t.name = group.name; t.showlegend = group.showlegend; t.hovertemplate = group.hovertemplate;
                t.x = p.x; t.y = p.y; t.customdata = p.rows;
                if (p.text) { t.text = p.text; }
                Object.assign(t.marker, group.marker || {});
                t.marker.color = p.values || group.colour;
                if (bits) { t.selectedpoints = sel.pointsIn(p.rows, bits); }
                data.push(t);
            });
            return {data: data.concat(colour.extra), layout: colour.layout};
        }
    }
});
