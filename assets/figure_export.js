/* Export one figure of the page as SVG or PNG at publication size, the run's name leading its title and its
   file name. Drawn by plotly.js in the browser from the figure as shown (zoom, colouring, selection), so the
   server sends nothing; the result goes to a dcc.Download. */
window.dash_clientside = Object.assign({}, window.dash_clientside, {
    figures: {
        exportFigure: function (clicks, graphId, format, runName, size) {
            var nu = window.dash_clientside.no_update;
            var gd = document.querySelector('#' + graphId + ' .js-plotly-plot');
            if (!clicks || !gd || !gd.data || !gd.data.length) { return nu; }
            // a run picker's value may be a file path: its name, without the folder or .h5ad
            var name = String(runName || 'scresponse').split('/').pop().replace(/\.h5ad$/, '');
            var old = gd.layout.title || {};
            var text = (typeof old === 'string' ? old : (old.text || '')).replace(/<[^>]*>/g, '');
            var title = Object.assign({}, typeof old === 'string' ? {} : old, {text: name + (text ? ': ' + text : '')});
            var layout = Object.assign({}, gd.layout, {title: title, width: size.width, height: size.height});
            var fmt = format === 'png' ? 'png' : 'svg';
            return Plotly.toImage({data: gd.data, layout: layout, config: {}},
                                  {format: fmt, width: size.width, height: size.height, scale: fmt === 'png' ? size.png_scale : 1})
                .then(function (url) {
                    var comma = url.indexOf(',');
                    var head = url.slice(0, comma), body = url.slice(comma + 1);
                    var b64 = head.indexOf(';base64') >= 0;
                    var file = (name + '_' + graphId).replace(/[^A-Za-z0-9._-]+/g, '_') + '.' + fmt;
                    return {content: b64 ? body : decodeURIComponent(body), filename: file, base64: b64,
                            type: fmt === 'png' ? 'image/png' : 'image/svg+xml'};
                });
        }
    }
});
