"""Names, phones, dates, money and aging: the small pure rules under the desk."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.aging import oldest_open_charge
from app.domain.dates import age_label, age_on, parse_us_date
from app.domain.money import format_usd, from_cents, to_cents
from app.domain.names import name_key, prefix_upper_bound
from app.domain.phones import display, suffix_key, to_e164


def test_name_keys_fold_accents_case_and_punctuation() -> None:
    assert name_key("José") == name_key("JOSE") == "jose"
    assert name_key("O'Brien-Núñez") == "obriennunez"
    assert name_key("Strauß") == "strauss"
    assert name_key("😀") == ""


@given(st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789", min_size=1, max_size=10))
def test_prefix_bound_contains_exactly_the_prefixed_keys(prefix: str) -> None:
    bound = prefix_upper_bound(prefix)
    assert prefix < bound
    assert prefix + "zzzz" < bound
    assert not (prefix <= bound < bound)


def test_phones_to_e164_and_back() -> None:
    assert to_e164("123") is None
    assert to_e164("(503) 123-4567") is None  # no US exchange starts with 1
    assert to_e164("(503) 234-5678") == "+15032345678"
    assert to_e164("1-503-234-5678") == "+15032345678"
    assert to_e164("hello") is None
    assert display("+15032345678") == "(503) 234-5678"
    assert suffix_key("+15032345678") == "8765432305"


def test_dates_and_ages() -> None:
    today = date(2026, 11, 23)
    assert parse_us_date("11/23/2026", today) == today
    assert parse_us_date("2/29/2023", today) is None
    assert age_on(date(2011, 11, 24), today) == 14
    assert age_on(date(2011, 11, 23), today) == 15
    assert age_label(date(2025, 3, 1), today) == "20 mo"


def test_money_is_cents_and_decimal() -> None:
    assert to_cents(Decimal("12.345")) == 1235
    assert to_cents("0.10") == 10
    assert from_cents(1999) == Decimal("19.99")
    assert format_usd(123456) == "$1,234.56"
    assert format_usd(-2000) == "-$20.00"
    with pytest.raises(TypeError):
        to_cents(0.1)  # type: ignore[arg-type]


def test_oldest_open_charge_applies_credits_oldest_first() -> None:
    charges = [(date(2026, 3, 1), 10000), (date(2026, 1, 5), 5000), (date(2026, 6, 1), 2000)]
    assert oldest_open_charge(charges, 0) == date(2026, 1, 5)
    assert oldest_open_charge(charges, 5000) == date(2026, 3, 1)
    assert oldest_open_charge(charges, 16000) == date(2026, 6, 1)
    assert oldest_open_charge(charges, 17000) is None
