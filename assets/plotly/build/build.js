// Builds ../plotly-scresponse.min.js: plotly.js with only the trace types the pages draw (entry.js), with the
// esbuild settings of plotly.js's own build (esbuild-config.js). See README.md beside this file.
const esbuild = require('esbuild');
const { environmentPlugin } = require('esbuild-plugin-environment');
const { glsl } = require('esbuild-plugin-glsl');
const InlineCSSPlugin = require('esbuild-plugin-inline-css');
const version = require('plotly.js/package.json').version;

esbuild.build({
    entryPoints: ['./entry.js'], outfile: '../plotly-scresponse.min.js',
    banner: { js: `/*! plotly.js v${version} (MIT license), partial bundle for scResponse: see assets/plotly/build */` },
    format: 'iife', globalName: 'Plotly', bundle: true, minify: true, sourcemap: false,
    plugins: [InlineCSSPlugin(), glsl({ minify: true }), environmentPlugin({ NODE_DEBUG: false })],
    alias: { regl: '@plotly/regl', stream: 'stream-browserify' },
    define: { global: 'window', 'define.amd': 'false' }, target: 'es2016', logLevel: 'info',
}).catch(() => process.exit(1));
