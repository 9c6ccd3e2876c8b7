"""Fixed effects for correlations pooled over strata: aligned values, and which strata to align in.

Pooling graphs of different sizes into one correlation mixes the contrast
between sizes (denser, more parameters, deeper) into every pair. Aligning
each variable within its stratum — subtracting the stratum's mean — removes
every stratum's level, so a pooled coefficient compares graphs of one size
only: Pearson r of aligned values is the within-stratum (fixed-effects)
correlation, and Spearman and Kendall of aligned values are the aligned-rank
statistics of Hodges and Lehmann (1962, "Rank methods for combination of
independent experiments in analysis of variance").

A variable the design fixes within every stratum (density in a stratum of
fixed n and m) has no within-stratum variation left. When strata share
their size (:func:`size_classes`: the same parameter count within a
tolerance), such a variable is compared across the strata of one size
instead, aligned within size classes (:func:`pooled_frame`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd

__all__ = ["SAME_SIZE", "align_within_strata", "size_classes", "pooled_frame"]

#: Strata whose median sizes (parameter counts) differ by at most this fraction are one size:
#: the tolerance of the relational arm's width rule (``graphs.relational.match_width``).
SAME_SIZE = 0.01


def align_within_strata(frame: pd.DataFrame, columns: Sequence[str], stratum: str) -> pd.DataFrame:
    """A copy of `frame` with each of `columns` centred on its mean within `stratum`.

    Examples
    --------
    >>> df = pd.DataFrame({"s": ["a", "a", "b", "b"], "x": [1.0, 3.0, 10.0, 14.0]})
    >>> align_within_strata(df, ["x"], "s")["x"].tolist()
    [-1.0, 1.0, -2.0, 2.0]
    """
    out = frame.copy()
    cols = [c for c in dict.fromkeys(columns) if c in out.columns]
    if not cols:
        return out
    values = out[cols].apply(pd.to_numeric, errors="coerce")
    groups = values.groupby(out[stratum])
    aligned = values - groups.transform("mean")
    # a variable constant within a stratum aligns to exactly 0 there, not to rounding noise
    # that a rank statistic would read as an order
    constant = groups.transform("max") == groups.transform("min")
    out[cols] = aligned.mask(constant, 0.0)
    return out


def size_classes(
    strata: pd.Series, size: pd.Series | None, tolerance: float = SAME_SIZE
) -> pd.Series:
    """Each row's size class: its stratum joined with the strata of the same median `size`.

    Strata are sorted by their median `size`; a stratum joins the class of
    the one before it when its median exceeds the class's smallest by at most
    `tolerance` (relative). A stratum whose own sizes spread wider than
    `tolerance` (graphs of one stratum, different sizes) joins no class. A
    class is named by its strata joined with ``+`` in that order. Without
    `size` (or with a stratum whose size is unknown) every stratum is its own
    class.

    Examples
    --------
    >>> s = pd.Series(["a", "a", "b", "c"])
    >>> size_classes(s, pd.Series([100.0, 100.0, 100.4, 130.0])).tolist()
    ['a+b', 'a+b', 'a+b', 'c']
    """
    strata = strata.astype(str)
    if size is None:
        return strata.copy()
    values = pd.to_numeric(size, errors="coerce").groupby(strata)
    medians = values.median().sort_values()
    if medians.isna().any():
        return strata.copy()
    spread = values.max() / values.min() - 1
    classes: list[list[str]] = []
    start, joined_alone = np.nan, False
    for name, value in medians.items():
        alone = spread[name] > tolerance
        if classes and not alone and not joined_alone and value <= start * (1 + tolerance):
            classes[-1].append(str(name))
        else:
            classes.append([str(name)])
            start, joined_alone = float(value), alone
    label = {name: "+".join(members) for members in classes for name in members}
    return strata.map(label)


def pooled_frame(
    frame: pd.DataFrame, columns: Sequence[str], stratum: str, size: str | None, between: bool
) -> tuple[pd.DataFrame | None, str]:
    """`frame` aligned for a pooled correlation, and the fixed effects: ``stratum``, ``size``, ``""``.

    With one stratum, `frame` as it is (``""``; ``None`` for a variable the
    stratum sets, which has nothing to compare there). A variable that varies
    within strata (``between=False``) is aligned within strata
    (``stratum``). One that a stratum sets by design (``between=True``:
    density, set by n and m) is aligned within size classes
    (:func:`size_classes` on column `size`, ``size``), so it is compared
    across the strata of one size, in the classes that hold two strata or
    more; when none does it has no comparison at one size, and the frame is
    ``None``.
    """
    if frame[stratum].nunique() < 2:
        return (None, "") if between else (frame, "")
    if not between:
        return align_within_strata(frame, columns, stratum), "stratum"
    if size is None or size not in frame.columns:
        return None, "size"
    classes = size_classes(frame[stratum], frame[size])
    per_class = frame[stratum].groupby(classes).nunique()
    if (per_class < 2).all():
        return None, "size"
    keep = classes.map(per_class >= 2).to_numpy(dtype=bool)
    aligned = align_within_strata(frame.assign(_class=classes)[keep], columns, "_class")
    return aligned.drop(columns="_class"), "size"
