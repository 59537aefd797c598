"""How the search box understands what the agent typed (no database)."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.lookup import Field, parse_lookup

TODAY = date(2026, 11, 23)


def fields(text: str) -> list[Field]:
    return [c.field for c in parse_lookup(text, TODAY).criteria]


def test_empty_text_is_no_query() -> None:
    assert parse_lookup("   ", TODAY).is_empty


def test_single_word_is_a_last_name_then_a_first_name() -> None:
    criteria = parse_lookup("Garc", TODAY).criteria
    assert [(c.last, c.first, c.by_first) for c in criteria] == [
        ("garc", None, False),
        (None, "garc", True),
    ]


def test_comma_means_last_then_first() -> None:
    (c,) = parse_lookup("de la Cruz, María José", TODAY).criteria
    assert (c.last, c.first) == ("delacruz", "mariajose")


def test_two_words_are_tried_both_ways() -> None:
    criteria = parse_lookup("maria garcia", TODAY).criteria
    assert [(c.last, c.first) for c in criteria] == [("garcia", "maria"), ("maria", "garcia")]


@pytest.mark.parametrize(
    "typed",
    ["04/12/2011", "4/12/2011", "04-12-2011", "4.12.11", "2011-04-12", "04122011"],
)
def test_us_date_formats(typed: str) -> None:
    (c,) = parse_lookup(typed, TODAY).criteria
    assert c.field is Field.DOB
    assert c.dob == date(2011, 4, 12)


def test_two_digit_year_in_the_future_is_last_century() -> None:
    (c,) = parse_lookup("1/2/85", TODAY).criteria
    assert c.dob == date(1985, 1, 2)


def test_name_plus_date() -> None:
    criteria = parse_lookup("garcia 04/12/2011", TODAY).criteria
    assert {(c.last, c.first, c.dob) for c in criteria} == {
        ("garcia", None, date(2011, 4, 12)),
        (None, "garcia", date(2011, 4, 12)),
    }


@pytest.mark.parametrize("typed", ["(503) 555-0123", "503.555.0123", "+1 503 555 0123"])
def test_full_phone_numbers(typed: str) -> None:
    query = parse_lookup(typed, TODAY)
    assert query.criteria[-1].field is Field.PHONE
    assert query.criteria[-1].phone_suffix == "5035550123"


def test_short_digits_are_account_mrn_or_phone_ending() -> None:
    assert fields("0123") == [Field.ACCOUNT, Field.MRN, Field.PHONE_SUFFIX]
    assert fields("40012345") == [Field.ACCOUNT, Field.MRN, Field.PHONE_SUFFIX]


def test_identifier_with_letters() -> None:
    query = parse_lookup("mrn-12345 ", TODAY)
    assert {c.mrn or c.account for c in query.criteria} == {"MRN12345"}


def test_invalid_dates_are_not_dates() -> None:
    assert Field.DOB not in fields("13/45/2011")
    assert all(c.dob is None for c in parse_lookup("02/30/2011 garcia", TODAY).criteria)


@given(st.text(max_size=300))
def test_any_text_parses_without_error(text: str) -> None:
    query = parse_lookup(text, TODAY)
    assert len(query.criteria) <= 12
    for c in query.criteria:
        for key in (c.last, c.first):
            assert key is None or (key.isascii() and key.isalnum() and key == key.lower())
