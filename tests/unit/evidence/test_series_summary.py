"""Series summaries: min, max, last, mean, the change against the day before, and capped points."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from adapters.models import Point, Series
from mcp_server.evidence.series import summarise, thin

T0 = datetime(2026, 3, 14, 3, 0, tzinfo=UTC)


def series(values: list[float | None], **labels: str) -> Series:
    return Series(labels=labels, points=[Point(t=T0 + timedelta(minutes=i), v=v) for i, v in enumerate(values)])


def test_a_series_is_summarised_against_the_same_labels_a_day_earlier():
    now = [series([0.1, 0.4, None, 0.3], service="checkout"), series([1.0, 1.0], service="cart")]
    before = [series([0.1, 0.1], service="checkout")]
    checkout, cart = summarise(now, before)
    assert (checkout.points, checkout.min, checkout.max, checkout.last) == (3, 0.1, 0.4, 0.3)
    assert checkout.mean == pytest.approx(0.8 / 3)
    assert checkout.baseline_mean == pytest.approx(0.1)
    assert checkout.change == pytest.approx(2.667)
    assert checkout.delta == pytest.approx(0.8 / 3 - 0.1)
    assert (cart.baseline_mean, cart.change, cart.delta) == (None, None, None)
    assert checkout.values == []


def test_a_zero_baseline_gives_no_ratio_but_a_delta_and_an_empty_series_no_numbers():
    grown, empty = summarise([series([2.0], service="a"), series([None], service="b")], [series([0.0], service="a")])
    assert (grown.change, grown.delta) == (None, 2.0)
    assert (empty.points, empty.min, empty.last, empty.mean) == (0, None, None, None)


def test_points_are_thinned_evenly_and_keep_the_last():
    points = series([float(i) for i in range(100)]).points
    kept = thin(points, 5)
    assert [p.v for p in kept] == [0.0, 25.0, 50.0, 74.0, 99.0]  # 99 / 4 apart, rounded
    assert thin(points, 0) == [] and len(thin(points[:3], 10)) == 3
    assert summarise([series([1.0, 2.0, 3.0])], [], max_points=2)[0].values[-1].v == 3.0
