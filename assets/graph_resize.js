/* dcc.Graph asks plotly.js to resize every graph when it first observes it and again when the page settles,
   even when its size has not changed; for a WebGL scatter of 100k cells each such call is a full redraw of a few
   hundred ms. This lets through only the resizes that change a graph's size (a window resize still refits). */
(function skipNoOpResizes() {
    if (!window.Plotly || !window.Plotly.Plots) { setTimeout(skipNoOpResizes, 20); return; }
    var resize = window.Plotly.Plots.resize;
    window.Plotly.Plots.resize = function (gd) {
        var el = typeof gd === 'string' ? document.getElementById(gd) : gd;
        var full = el && el._fullLayout;
        if (full && el.layout) {
            var box = el.getBoundingClientRect();
            var sameWidth = el.layout.width || Math.abs(box.width - full.width) < 1;
            var sameHeight = el.layout.height || Math.abs(box.height - full.height) < 1;
            if (sameWidth && sameHeight) { return Promise.resolve(el); }
        }
        return resize.apply(this, arguments);
    };
})();
