"""People's answers to "which channels differ most?", stored (who, when, MoA, image, channels) beside the
image-QC results and summarised per MoA next to the computed channel ranking."""

from __future__ import annotations

import fcntl
import json
from pathlib import Path

import pandas as pd

from .. import provenance
from ..data.errors import DataError

FILE = "channel_feedback.jsonl"


def record_feedback(folder: str | Path, *, user: str, group: str, channels: list[str], image: str = "",
                    known_channels: list[str] | None = None) -> dict:
    """Append one answer (one JSON line, under a file lock so several server workers may write)."""
    channels = [str(c) for c in channels or []]
    if not channels:
        raise DataError("Tick at least one channel")
    if known_channels is not None and set(channels) - set(known_channels):
        raise DataError(f"Unknown channel(s): {', '.join(sorted(set(channels) - set(known_channels)))}")
    if not str(group).strip():
        raise DataError("Choose the MoA the answer is about")
    row = {"user": str(user), "at": provenance.utc_now(), "group": str(group), "image": str(image or ""),
           "channels": channels}
    path = Path(folder) / FILE
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.write(json.dumps(row) + "\n")
        fcntl.flock(f, fcntl.LOCK_UN)
    return row


def load_feedback(folder: str | Path) -> pd.DataFrame:
    """Every answer so far (a damaged line is skipped, never the file)."""
    path = Path(folder) / FILE
    rows = []
    if path.exists():
        for line in path.read_text().splitlines():
            try:
                rows.append(json.loads(line))
            except ValueError:
                continue
    return pd.DataFrame(rows, columns=["user", "at", "group", "image", "channels"])


def feedback_summary(feedback: pd.DataFrame, ranking: pd.DataFrame, *, group: str) -> pd.DataFrame:
    """Per channel for one MoA: the computed |d| and rank, the people's votes and the share of answers."""
    computed = ranking[ranking["group"] == group][["channel", "abs_d"]].reset_index(drop=True)
    computed["computed_rank"] = range(1, len(computed) + 1)
    answers = feedback[feedback["group"] == group]
    votes = pd.Series([c for chans in answers["channels"] for c in chans], dtype=object).value_counts()
    computed["votes"] = computed["channel"].map(votes).fillna(0).astype(int)
    computed["share_of_answers"] = computed["votes"] / max(len(answers), 1)
    computed["n_answers"] = len(answers)
    return computed
