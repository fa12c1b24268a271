"""One id parser for paths, queries and headers: bounded ASCII digits only."""

import pytest

from forgetlab.core.errors import Invalid
from forgetlab.core.ids import MAX_ID, parse_id, parse_ids


@pytest.mark.parametrize("text, expected", [("12", 12), (" 7 ", 7), (str(MAX_ID), MAX_ID), (str(MAX_ID + 1), None),
                                            ("²", None), ("١٢", None), ("-1", None), ("1e3", None), ("", None),
                                            ("9" * 40, None)])
def test_parse_id(text, expected):
    assert parse_id(text) == expected


def test_parse_ids_keeps_order_and_names_the_bad_part():
    assert parse_ids(["3,5", "#3", "8"]) == [3, 5, 8]
    with pytest.raises(Invalid) as err:
        parse_ids(["1,²"])
    assert err.value.field == "runs" and "'²' is not a run id" in err.value.message
