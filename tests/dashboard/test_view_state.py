"""View links: encoded with names and numbers only, decoded with every part checked."""

from dashboard.view_state import decode_view, encode_view

COLOURS = ["sensitivity_score", "predicted", "gene"]


def test_view_001_round_trip():
    q = encode_view(run="PLX__a375__x", color="gene", gene="SOX10", threshold=0.7)
    assert decode_view(q, colours=COLOURS) == {"run": "PLX__a375__x", "color": "gene", "gene": "SOX10", "threshold": 0.7}
    assert "gene" not in encode_view(run="r", color="predicted", gene="SOX10", threshold=None)


def test_view_002_bad_parts_are_dropped_not_fatal():
    view = decode_view("?run=r&color=<script>&gene=../../etc&threshold=7", colours=COLOURS)
    assert view == {"run": "r"}
    assert decode_view("?threshold=nan&threshold=0.3", colours=COLOURS) == {}
    assert decode_view(None, colours=COLOURS) == {}


def test_view_state_cell_set_and_zoom_round_trip_and_bad_parts_are_dropped():
    from dashboard.view_state import decode_view, encode_view, zoom_from_relayout

    q = encode_view(run="r", color="predicted", gene=None, threshold=0.7, cell_set="top cluster",
                    zoom=(-1.5, 2.25, 0.0, 3.0))
    view = decode_view(q, colours=["predicted"])
    assert view["set"] == "top cluster" and view["zoom"] == (-1.5, 2.25, 0.0, 3.0)
    for bad in ("set=../x", "set=a%2Fb", "zoom=1,2,3", "zoom=2,1,0,1", "zoom=a,b,c,d", "zoom=0,1,0,inf"):
        assert not ({"set", "zoom"} & set(decode_view("?" + bad, colours=[])))
    assert zoom_from_relayout({"xaxis.range[0]": 0, "xaxis.range[1]": 1, "yaxis.range[0]": 2,
                               "yaxis.range[1]": 3}) == (0.0, 1.0, 2.0, 3.0)
    assert zoom_from_relayout({"xaxis.autorange": True}) is None and zoom_from_relayout(None) is None
