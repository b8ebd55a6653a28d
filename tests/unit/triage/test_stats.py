"""stats: baselines, the two significance tests, onset and sparklines, checked against hand computations."""

from __future__ import annotations

from statistics import NormalDist

import pytest

from mcp_server.triage.stats import (
    SPARK_BARS,
    baseline_of,
    onset,
    poisson_drop_p,
    ratio,
    sparkline,
    two_proportion_p,
)

from .helpers import exact_poisson_cdf, minutes, points, reference_two_proportion_p

NAN, INF = float("nan"), float("inf")


# --- baseline_of -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.01, 0.02, 0.03], 0.02),
        ([0.005, 0.40, 0.006], 0.006),  # one baseline was an incident: the median ignores it
        ([3.0, 1.0], 2.0),  # two values: the middle of them
        ([None, 5.0, NAN, 1.0, 9.0], 5.0),  # None and NaN are not data
        ([INF, 1.0, 3.0], 2.0),  # neither is infinity
        ([None, 7.0], 7.0),
        ([], None),
        ([None, NAN], None),
    ],
)
def test_baseline_of_is_the_median_of_present_values(values, expected):
    result = baseline_of(values)
    if expected is None:
        assert result is None
    else:
        assert result == pytest.approx(expected)


def test_baseline_of_zero_is_a_value_not_missing():
    assert baseline_of([0.0, None]) == 0.0


# --- two_proportion_p ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("x1", "n1", "x0", "n0"),
    [
        (100, 1000, 10, 1000),
        (30, 1000, 10, 1000),
        (12, 150, 2, 100),
        (10, 1000, 0, 1000),
        (5, 1000, 20, 1000),
        (4500, 900_000, 2700, 540_000),
    ],
)
def test_two_proportion_p_matches_the_textbook_z_test(x1, n1, x0, n0):
    assert two_proportion_p(x1, n1, x0, n0) == pytest.approx(reference_two_proportion_p(x1, n1, x0, n0), rel=1e-9)


def test_two_proportion_p_hand_computed_value():
    # 3% of 1000 vs 1% of 1000: pooled 2%, sd = sqrt(0.02 * 0.98 * 0.002) = 0.006261,
    # z = 0.02 / 0.006261 = 3.194, and P(Z >= 3.194) = 0.000701 from a normal table.
    assert two_proportion_p(30, 1000, 10, 1000) == pytest.approx(0.000701, rel=0.01)


def test_two_proportion_p_large_jump_is_tiny():
    # 10% vs 1% on 1000 each: z = 0.09 / sqrt(0.055 * 0.945 * 0.002) = 8.83, far beyond any threshold.
    assert two_proportion_p(100, 1000, 10, 1000) < 1e-15


def test_two_proportion_p_equal_ratios_is_one_half():
    # z = 0 exactly, whatever the volumes.
    assert two_proportion_p(10, 1000, 40, 4000) == pytest.approx(0.5)
    assert two_proportion_p(0.5, 100, 5, 1000) == pytest.approx(0.5)


def test_two_proportion_p_is_one_sided():
    # A ratio lower than its baseline is not evidence of a rise: p above one half.
    assert two_proportion_p(5, 1000, 20, 1000) > 0.5


@pytest.mark.parametrize(("n1", "n0"), [(0, 1000), (1000, 0), (0, 0)])
def test_two_proportion_p_none_when_a_side_has_no_requests(n1, n0):
    assert two_proportion_p(0, n1, 0, n0) is None


def test_two_proportion_p_zero_error_baseline():
    # 10 of 1000 vs 0 of 1000: pooled 0.5%, sd = sqrt(0.005 * 0.995 * 0.002) = 0.003154,
    # z = 0.01 / 0.003154 = 3.170, P(Z >= 3.170) = 0.000762.
    assert two_proportion_p(10, 1000, 0, 1000) == pytest.approx(0.000762, rel=0.01)


def test_two_proportion_p_without_variance_says_no_evidence():
    # No errors on either side, or every request failing on both: nothing rose.
    assert two_proportion_p(0, 1000, 0, 1000) == 1.0
    assert two_proportion_p(1000, 1000, 500, 500) == 1.0


# --- poisson_drop_p ------------------------------------------------------------------------------


def test_poisson_drop_p_hand_computed_value():
    # 80 when 100 were expected: z = (100 - 80 - 0.5) / 10 = 1.95, P(Z >= 1.95) = 0.02559.
    p = poisson_drop_p(80, 100)
    assert p == pytest.approx(0.02559, rel=0.001)
    # The normal approximation stays within 15% of the exact Poisson tail (0.0226) at this size.
    assert p == pytest.approx(exact_poisson_cdf(80, 100), rel=0.15)


def test_poisson_drop_p_big_drop_is_tiny():
    # Half of 1000 expected: z = 499.5 / 31.6 = 15.8.
    assert poisson_drop_p(500, 1000) < 1e-30


def test_poisson_drop_p_no_drop_is_not_evidence():
    # As many as expected: z = -0.5 / sqrt(400) = -0.025, so p is just above one half.
    assert poisson_drop_p(400, 400) == pytest.approx(1 - NormalDist().cdf(-0.025), rel=1e-9)
    assert poisson_drop_p(600, 400) > 0.99


@pytest.mark.parametrize("expected", [0.0, -5.0])
def test_poisson_drop_p_none_without_expectation(expected):
    assert poisson_drop_p(0, expected) is None


# --- ratio ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("num", "den", "expected"),
    [(1.0, 4.0, 0.25), (0.0, 4.0, 0.0), (1.0, 0.0, None), (None, 4.0, None), (1.0, None, None)],
)
def test_ratio(num, den, expected):
    assert ratio(num, den) == expected


# --- onset ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "threshold", "above", "expected_minute"),
    [
        pytest.param([0.01, 0.01, 0.02, 0.06, 0.08, 0.10], 0.05, True, 3, id="steady rise"),
        pytest.param([0.01, 0.06, 0.07, 0.02, 0.06, 0.08], 0.05, True, 4, id="a dip resets it"),
        pytest.param([0.01, 0.06, 0.07, 0.02], 0.05, True, None, id="back below at the end"),
        pytest.param([0.01, 0.02, 0.03], 0.05, True, None, id="never crossed"),
        pytest.param([0.01, 0.06, None, 0.07, 0.08], 0.05, True, 1, id="one missing point tolerated"),
        pytest.param([0.01, 0.06, 0.07, None], 0.05, True, 1, id="one missing point at the end tolerated"),
        pytest.param([0.01, 0.06, None, None, 0.07, 0.08], 0.05, True, 4, id="two missing points restart it"),
        pytest.param([0.01, 0.06, 0.07, None, None], 0.05, True, None, id="two missing points at the end"),
        pytest.param([None, None, 0.06, 0.07], 0.05, True, 2, id="leading gap"),
        pytest.param([10, 10, 9, 7, 3, 2, 2], 5, False, 4, id="traffic falls below"),
        pytest.param([10, 10, 9, 7, 3, 2, 2], 5, True, None, id="traffic falling is not a rise"),
        pytest.param([2, 2, 3, 7, 9], 5, False, None, id="traffic rising is not a drop"),
        pytest.param([], 5, True, None, id="no points"),
    ],
)
def test_onset(values, threshold, above, expected_minute):
    found = onset(points(values), threshold, above=above)
    assert found == (None if expected_minute is None else minutes(expected_minute))


# --- sparkline -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("count", "width", "length"), [(120, 30, 30), (60, 30, 30), (31, 30, 30), (10, 30, 10), (5, 5, 5)]
)
def test_sparkline_width(count, width, length):
    # Long series are resampled to the width; short ones are not stretched.
    assert len(sparkline([float(i % 7) for i in range(count)], width)) == length


def test_sparkline_empty():
    assert sparkline([]) == ""


def test_sparkline_ends_of_the_scale_and_every_bar():
    assert sparkline([0.0, 1.0]) == SPARK_BARS[0] + SPARK_BARS[-1]
    # Eight evenly spaced values land on the eight bars in order.
    assert sparkline([i / 7 for i in range(8)]) == SPARK_BARS


def test_sparkline_gaps_are_spaces():
    line = sparkline([1.0, None, 3.0, None])
    assert line == SPARK_BARS[0] + " " + SPARK_BARS[-1] + " "
    assert sparkline([None, None, None]) == "   "


def test_sparkline_flat_series_is_one_level_and_drawn():
    line = sparkline([0.2, 0.2, 0.2, 0.2])
    assert len(line) == 4 and len(set(line)) == 1 and line.strip() == line


def test_sparkline_resampling_keeps_a_one_point_spike():
    # 120 points into 30 cells is 4 points a cell; one spike at index 61 falls in cell 61 // 4 = 15.
    values = [0.0] * 120
    values[61] = 1.0
    line = sparkline(values, 30)
    assert line == SPARK_BARS[0] * 15 + SPARK_BARS[-1] + SPARK_BARS[0] * 14


def test_sparkline_resampled_spike_stays_above_a_longer_plateau():
    # A one-minute spike to 1.0 and a 40-minute plateau at 0.5: averaged, the spike's cell would be
    # 0.25 and drawn below the plateau; with the maximum it stays the top bar, the plateau at
    # int(0.5 * 8) = level 4.
    values = [0.0] * 80 + [0.5] * 40
    values[61] = 1.0
    line = sparkline(values, 30)
    assert line[15] == SPARK_BARS[-1]
    assert line[20:] == SPARK_BARS[4] * 10


def test_sparkline_resampled_cell_is_a_gap_only_when_all_its_points_are():
    values: list[float | None] = [None] * 4 + [None, None, None, 1.0] + [0.0] * 112
    line = sparkline(values, 30)
    assert line[0] == " "  # four missing points
    assert line[1] == SPARK_BARS[-1]  # three missing and one present
    assert line[2:] == SPARK_BARS[0] * 28
