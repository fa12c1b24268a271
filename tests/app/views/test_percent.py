"""One percentage rule for every page (app/views/percent.py): half away from zero, never Python's half to even."""

import pytest

from forgetlab.app.pages.render import templates
from forgetlab.app.views.percent import pct, percent, signed, signed_pts


@pytest.mark.parametrize("x, whole", [
    (0.125, 13), (-0.125, -13), (0.375, 38), (0.875, 88), (0.005, 1), (-0.005, -1), (0.0049, 0), (0.0, 0),
    (1.0, 100), (0.145, 14),  # 0.145 is 0.14499999999999999 as a double: below the half, as in JavaScript
])
def test_percent_rounds_half_away_from_zero(x, whole):
    assert percent(x) == whole


def test_the_summary_and_the_chart_say_the_same_for_an_eighth():
    """The case that disagreed: Python's own format gave 12% beside the chart's 13% for 0.125."""
    assert f"{0.125:.0%}" == "12%"  # what the pages used to print
    assert pct(0.125) == "13%" and pct(None) == "n/a"


def test_signed_changes_never_show_a_signed_zero():
    assert [signed(x) for x in (0.004, -0.004, 0.005, -0.125, 0.3)] == ["0", "0", "+1", "-13", "+30"]
    assert signed_pts(-0.0001) == "0 pts" and signed_pts(0.125) == "+13 pts"


def test_the_templates_use_the_same_rule():
    render = templates.env.from_string("{{ x|pct }} {{ x|percent }} {{ -x|signed }}").render
    assert render(x=0.125) == "13% 13 -13"
