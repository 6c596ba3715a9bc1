"""A page-side probe shared by the dashboard benchmarks: when did the page first submit a given number of
points to WebGL? It wraps the draw calls of every WebGL context before the page's own scripts run, and
records (ms since navigation start) the moment the points drawn so far reach ``window.__glWanted``. The same
probe times scResponse (plotly.js, one draw per colour level) and cellxgene (regl, one draw), so their first
views are compared on one definition: all cells handed to the GPU."""

WEBGL_PROBE = """
window.__gl = {points: 0, reached: null};
(function () {
  function wrap(proto) {
    if (!proto) { return; }
    ['drawArrays', 'drawElements'].forEach(function (name) {
      var f = proto[name];
      proto[name] = function (mode, a, b) {
        var count = name === 'drawArrays' ? b : a;
        if (mode === 0) {  // gl.POINTS: markers
          window.__gl.points += count;
          if (!window.__gl.reached && window.__glWanted && window.__gl.points >= window.__glWanted) {
            window.__gl.reached = performance.now();
          }
        }
        return f.apply(this, arguments);
      };
    });
  }
  wrap(window.WebGLRenderingContext && WebGLRenderingContext.prototype);
  wrap(window.WebGL2RenderingContext && WebGL2RenderingContext.prototype);
})();
"""


def probe_for(points: int) -> str:
    """The probe, waiting for ``points`` points."""
    return f"window.__glWanted = {int(points)};\n" + WEBGL_PROBE
