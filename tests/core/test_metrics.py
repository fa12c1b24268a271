"""Forgetting metrics are pure functions of the accuracy table."""

import pytest

from forgetlab.core import metrics

TABLE = [{"a": 1.0, "b": 0.8}, {"a": 0.5, "b": 0.8}, {"a": 0.75, "b": 0.4}]


def test_forgetting_max_drop_retention_bwt():
    assert metrics.forgetting(TABLE) == pytest.approx({"a": 0.25, "b": 0.4})
    assert metrics.max_drop(TABLE) == pytest.approx({"a": 0.5, "b": 0.4})
    assert metrics.retention(TABLE) == pytest.approx({"a": 75.0, "b": 50.0})
    assert metrics.bwt(TABLE) == pytest.approx(-0.325)


def test_no_change_means_no_forgetting():
    flat = [{"a": 0.9}, {"a": 0.9}]
    assert metrics.summarize(flat) == {"baseline": {"a": 0.9}, "final": {"a": 0.9}, "forgetting": {"a": 0.0},
                                       "max_drop": {"a": 0.0}, "retention": {"a": 100.0}, "bwt": 0.0}
