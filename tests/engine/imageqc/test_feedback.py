"""People's channel answers: stored with who and when, summarised next to the computed ranking."""

import pandas as pd
import pytest

from engine.data.errors import DataError
from engine.imageqc.feedback import FILE, feedback_summary, load_feedback, record_feedback


def test_feedback_001_answers_are_kept_and_counted_per_moa(tmp_path):
    record_feedback(tmp_path, user="alice", group="X", channels=["Actin"], known_channels=["Actin", "DAPI"])
    record_feedback(tmp_path, user="bob", group="X", channels=["Actin", "DAPI"], image="field-1")
    record_feedback(tmp_path, user="bob", group="Y", channels=["DAPI"])
    with open(tmp_path / FILE, "a") as f:
        f.write("{half a line\n")  # a damaged line is skipped, not the file
    fb = load_feedback(tmp_path)
    assert len(fb) == 3 and set(fb["user"]) == {"alice", "bob"} and fb["at"].str.endswith("Z").all()
    ranking = pd.DataFrame({"group": ["X", "X"], "channel": ["DAPI", "Actin"], "abs_d": [3.0, 1.0]})
    s = feedback_summary(fb, ranking, group="X").set_index("channel")
    assert s.loc["Actin", "votes"] == 2 and s.loc["DAPI", "votes"] == 1 and s.loc["DAPI", "computed_rank"] == 1
    assert s["n_answers"].iloc[0] == 2


def test_feedback_002_empty_or_unknown_answers_are_refused(tmp_path):
    with pytest.raises(DataError, match="at least one channel"):
        record_feedback(tmp_path, user="a", group="X", channels=[])
    with pytest.raises(DataError, match="Unknown channel"):
        record_feedback(tmp_path, user="a", group="X", channels=["Mito"], known_channels=["DAPI"])
    assert load_feedback(tmp_path).empty
