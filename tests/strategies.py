"""Hypothesis strategies shared by the property tests."""

from __future__ import annotations

from typing import Any

from hypothesis import strategies as st


def json_values(*, text: int = 20, size: int = 4, leaves: int = 20) -> st.SearchStrategy[Any]:
    """Any JSON document: scalars, and lists and objects of them, nested."""
    return st.recursive(
        st.none()
        | st.booleans()
        | st.integers()
        | st.floats(allow_nan=False)
        | st.text(max_size=text),
        lambda inner: (
            st.lists(inner, max_size=size)
            | st.dictionaries(st.text(max_size=min(text, 12)), inner, max_size=size)
        ),
        max_leaves=leaves,
    )
