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
