"""The one visual language of the pages: sensitive and resistant have one colour each on every panel, and the
score scale runs from the resistant colour (0) through grey to the sensitive colour (1).

The scale is an explicit list, not a name: plotly.js and plotly's Python helpers define "RdBu" in opposite
directions, so a named scale meant red = sensitive in the browser and red = resistant where the app samples the
scale itself (large runs). Red and blue (ColorBrewer RdBu ends) stay apart for the common colour-vision deficiencies.
"""

SENSITIVE = "#2166ac"  # blue
RESISTANT = "#b2182b"  # red
NEUTRAL = "#f7f7f7"
SCORE_SCALE = [[0.0, RESISTANT], [0.5, NEUTRAL], [1.0, SENSITIVE]]
LABEL_COLOURS = {"sensitive": SENSITIVE, "resistant": RESISTANT,
                 # outcomes in the true label's colour: right calls full, wrong calls a light tint
                 "TP": SENSITIVE, "TN": RESISTANT, "FP": "#f4a582", "FN": "#92c5de", "unknown": "#bbbbbb"}
