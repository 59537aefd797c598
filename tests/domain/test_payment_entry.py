"""Card, bank and amount entry: real test numbers, every error at once, no secret leaks."""

from __future__ import annotations

import re
from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.money import format_usd
from app.domain.payment_entry import (
    BankAccountType,
    BankEntry,
    CardBrand,
    CardEntry,
    EntryErrors,
    detect_brand,
    digits_only,
    format_card_number,
    parse_amount,
    parse_bank,
    parse_card,
)

TODAY = date(2025, 6, 15)

GOOD_CARDS = [
    ("4242424242424242", CardBrand.VISA),
    ("4000000000000002", CardBrand.VISA),
    ("378282246310005", CardBrand.AMEX),
    ("5555555555554444", CardBrand.MASTERCARD),
    ("6011111111111117", CardBrand.DISCOVER),
    ("2223003122003222", CardBrand.MASTERCARD),
]


def card(
    number: str = "4242 4242 4242 4242",
    expiry: str = "12/28",
    cvv: str = "123",
    postal_code: str = "97201",
    name: str = "Ana Pérez",
) -> CardEntry:
    return parse_card(number, expiry, cvv, postal_code, name, today=TODAY)


def errors_of(call: object) -> dict[str, str]:
    assert callable(call)
    with pytest.raises(EntryErrors) as caught:
        call()
    return caught.value.errors


# --- brands and formatting ---------------------------------------------------------


@pytest.mark.parametrize(("number", "brand"), GOOD_CARDS)
def test_real_test_numbers_are_accepted_with_their_brand(number: str, brand: CardBrand) -> None:
    cvv = "1234" if brand is CardBrand.AMEX else "123"
    entry = card(format_card_number(number), cvv=cvv)
    assert entry.number == number
    assert entry.brand is brand
    assert entry.last4 == number[-4:]


@pytest.mark.parametrize(
    ("typed", "brand"),
    [
        ("", CardBrand.UNKNOWN),
        ("4", CardBrand.VISA),
        ("5", CardBrand.UNKNOWN),  # 50 and 56-59 are not Mastercard
        ("50", CardBrand.UNKNOWN),
        ("51", CardBrand.MASTERCARD),
        ("55", CardBrand.MASTERCARD),
        ("56", CardBrand.UNKNOWN),
        ("2", CardBrand.UNKNOWN),
        ("22", CardBrand.UNKNOWN),  # 2200-2220 are not
        ("222", CardBrand.UNKNOWN),
        ("2220", CardBrand.UNKNOWN),
        ("2221", CardBrand.MASTERCARD),
        ("23", CardBrand.MASTERCARD),  # 2300-2399 all are
        ("27", CardBrand.UNKNOWN),
        ("2720", CardBrand.MASTERCARD),
        ("2721", CardBrand.UNKNOWN),
        ("3", CardBrand.UNKNOWN),
        ("34", CardBrand.AMEX),
        ("37", CardBrand.AMEX),
        ("35", CardBrand.UNKNOWN),
        ("6", CardBrand.UNKNOWN),
        ("601", CardBrand.UNKNOWN),
        ("6011", CardBrand.DISCOVER),
        ("6012", CardBrand.UNKNOWN),
        ("64", CardBrand.UNKNOWN),
        ("643", CardBrand.UNKNOWN),
        ("644", CardBrand.DISCOVER),
        ("649", CardBrand.DISCOVER),
        ("65", CardBrand.DISCOVER),
        ("4242 42", CardBrand.VISA),
        ("3782-8224", CardBrand.AMEX),
        ("x4", CardBrand.UNKNOWN),
    ],
)
def test_brand_is_detected_as_the_number_is_typed(typed: str, brand: CardBrand) -> None:
    assert detect_brand(typed) is brand


def test_brand_labels() -> None:
    assert [b.label for b in CardBrand] == [
        "Visa",
        "Mastercard",
        "American Express",
        "Discover",
        "Card",
    ]


def test_digits_only_drops_spaces_and_dashes_and_keeps_the_rest() -> None:
    assert digits_only(" 4242 4242-4242\t4242 ") == "4242424242424242"
    assert digits_only("4242.4242") == "4242.4242"
    assert digits_only("42a2") == "42a2"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("", ""),
        ("4", "4"),
        ("42424", "4242 4"),
        ("4242424242424242", "4242 4242 4242 4242"),
        ("4242-4242-4242-4242", "4242 4242 4242 4242"),
        ("4242424242424242424", "4242 4242 4242 4242 424"),
        ("3782", "3782"),
        ("37828", "3782 8"),
        ("378282246310005", "3782 822463 10005"),
        ("3782 8224 6310 005", "3782 822463 10005"),
    ],
)
def test_format_groups_digits_as_typed(typed: str, shown: str) -> None:
    assert format_card_number(typed) == shown


# --- card validation ---------------------------------------------------------------


def test_a_good_card_is_parsed() -> None:
    entry = card(expiry=" 04/2029 ", postal_code="97201-1234", name="  Ana   Pérez ")
    assert (entry.exp_month, entry.exp_year) == (4, 2029)
    assert entry.expiry_label == "04/29"
    assert entry.postal_code == "97201-1234"
    assert entry.name == "Ana Pérez"
    assert entry.cvv == "123"


@pytest.mark.parametrize(
    ("typed", "month", "year"),
    [("12/28", 12, 2028), ("1/28", 1, 2028), ("12/2028", 12, 2028), ("1228", 12, 2028)],
)
def test_expiry_formats(typed: str, month: int, year: int) -> None:
    entry = card(expiry=typed)
    assert (entry.exp_month, entry.exp_year) == (month, year)
    assert entry.expiry_label == f"{month:02d}/28"


def test_expiry_window_is_this_month_to_twenty_years_ahead() -> None:
    assert card(expiry="06/25").exp_month == 6  # good through the end of this month
    assert "expired" in errors_of(lambda: card(expiry="05/25"))["expiry"]
    assert "expired" in errors_of(lambda: card(expiry="12/2024"))["expiry"]
    assert card(expiry="06/2045").exp_year == 2045
    assert "far ahead" in errors_of(lambda: card(expiry="07/2045"))["expiry"]


@pytest.mark.parametrize("typed", ["", "13/28", "00/28", "12-28", "12/8", "122028", "ab/cd"])
def test_bad_expiry(typed: str) -> None:
    assert set(errors_of(lambda: card(expiry=typed))) == {"expiry"}


@pytest.mark.parametrize(
    ("number", "why"),
    [
        ("", "Enter"),
        ("4242 4242 4242 424x", "digits only"),
        ("4242.4242.4242.4242", "digits only"),
        ("٤٢٤٢٤٢٤٢٤٢٤٢٤٢٤٢", "digits only"),  # Arabic-Indic digits: isdigit() says yes
        ("424242424242", "13 to 19"),
        ("42424242424242424242", "13 to 19"),
        ("4242424242424241", "not valid"),  # Luhn
        ("37828224631000", "15"),  # American Express is 15 digits
        ("555555555555444", "16"),
        ("42424242424242", "13, 16 or 19"),
        ("601111111111117", "16 to 19"),
    ],
)
def test_bad_card_numbers(number: str, why: str) -> None:
    cvv = "1234" if detect_brand(number) is CardBrand.AMEX else "123"
    errors = errors_of(lambda: card(number, cvv=cvv))
    assert set(errors) == {"number"}
    assert why in errors["number"]


def test_unknown_brands_pass_on_length_and_luhn() -> None:
    # A JCB test number: not a brand we know, still a real card.
    entry = card("3566002020360505")
    assert entry.brand is CardBrand.UNKNOWN
    assert str(entry).startswith("Card ending in 0505")


def test_visa_13_and_19_digits() -> None:
    assert card("4222222222222").number == "4222222222222"
    assert card("4000000000000000006").last4 == "0006"


def test_cvv_is_four_digits_for_amex_and_three_otherwise() -> None:
    assert card("378282246310005", cvv="1234").cvv == "1234"
    assert "4 digits" in errors_of(lambda: card("378282246310005", cvv="123"))["cvv"]
    assert "3 digits" in errors_of(lambda: card(cvv="1234"))["cvv"]
    assert set(errors_of(lambda: card(cvv="12a"))) == {"cvv"}
    assert set(errors_of(lambda: card(cvv=""))) == {"cvv"}


@pytest.mark.parametrize("typed", ["", "1234", "123456", "12345-678", "ABCDE", "12345-67890"])
def test_bad_postal_codes(typed: str) -> None:
    assert set(errors_of(lambda: card(postal_code=typed))) == {"postal_code"}


def test_zip_plus_four_without_the_dash_is_written_with_it() -> None:
    assert card(postal_code="972011234").postal_code == "97201-1234"


def test_name_must_be_there_and_not_too_long() -> None:
    assert set(errors_of(lambda: card(name="   "))) == {"name"}
    assert set(errors_of(lambda: card(name="x" * 81))) == {"name"}
    assert card(name="x" * 80).name == "x" * 80


def test_every_bad_field_is_reported_at_once() -> None:
    with pytest.raises(EntryErrors) as caught:
        parse_card("4242424242424241", "13/28", "12", "9720", "", today=TODAY)
    assert list(caught.value.errors) == ["number", "expiry", "cvv", "postal_code", "name"]
    assert str(caught.value) == "please check: number, expiry, cvv, postal_code, name"
    assert all(message.endswith(".") for message in caught.value.errors.values())


def test_card_entry_refuses_raw_values_that_skipped_parsing() -> None:
    with pytest.raises(ValueError, match="number") as caught:
        CardEntry("4242 4242 4242 4242", 12, 2028, "123", "97201", "Ana")
    assert "4242" not in str(caught.value)
    with pytest.raises(ValueError, match="CVV"):
        CardEntry("4242424242424242", 12, 2028, "12", "97201", "Ana")
    with pytest.raises(ValueError, match="expiry"):
        CardEntry("4242424242424242", 13, 2028, "123", "97201", "Ana")


# --- secrets never leak ------------------------------------------------------------


@pytest.mark.parametrize(("number", "brand"), GOOD_CARDS)
def test_repr_and_str_show_only_brand_last4_and_expiry(number: str, brand: CardBrand) -> None:
    cvv = "9876" if brand is CardBrand.AMEX else "987"
    entry = card(number, cvv=cvv)
    for text in (repr(entry), str(entry), f"{entry}", f"{entry!r}", repr([entry])):
        assert number not in text
        assert number[:6] not in text
        assert cvv not in text
        assert "Ana" not in text and "97201" not in text
        assert entry.last4 in text and "12/28" in text
    assert repr(entry) == f"CardEntry(brand='{brand.value}', last4='{number[-4:]}', expiry='12/28')"
    assert str(entry) == f"{brand.label} ending in {number[-4:]}, expires 12/28"


SECRET_DIGITS = st.text(alphabet="0123456789", min_size=13, max_size=19)


@given(
    number=SECRET_DIGITS,
    cvv=st.text(alphabet="0123456789", min_size=3, max_size=4),
    sep=st.sampled_from(["", " ", "-"]),
)
def test_no_message_ever_contains_the_typed_number_or_cvv(number: str, cvv: str, sep: str) -> None:
    typed = sep.join(number[i : i + 4] for i in range(0, len(number), 4))
    try:
        entry = parse_card(typed, "13/99", cvv, "x", "", today=TODAY)
    except EntryErrors as exc:
        texts = [str(exc), repr(exc), *exc.errors.values()]
    else:  # pragma: no cover - expiry 13/99 is always refused
        texts = [repr(entry), str(entry)]
    for text in texts:
        assert number not in text
        assert cvv not in text


@given(account=st.text(alphabet="0123456789", min_size=4, max_size=17))
def test_bank_account_number_never_shows(account: str) -> None:
    entry = parse_bank("011000015", account, "checking", "Ana Pérez")
    for text in (repr(entry), str(entry)):
        if len(account) > 4:
            assert account not in text
        assert entry.last4 in text


# --- bank entry --------------------------------------------------------------------


@pytest.mark.parametrize("routing", ["110000000", "011000015", "0110-0001 5"])
def test_valid_routing_numbers(routing: str) -> None:
    entry = parse_bank(routing, "000123456789", "savings", "Ana Pérez")
    assert entry.routing == digits_only(routing)
    assert entry.account_type is BankAccountType.SAVINGS
    assert entry.last4 == "6789"


def test_bank_repr_shows_routing_type_and_last4_only() -> None:
    entry = parse_bank("011000015", "000123456789", " Checking ", "Ana Pérez")
    assert repr(entry) == "BankEntry(routing='011000015', account_type='checking', last4='6789')"
    assert str(entry) == "Checking account ending in 6789"
    assert "000123456789" not in repr(entry) + str(entry)
    assert "Ana" not in repr(entry)


@pytest.mark.parametrize(
    ("routing", "why"),
    [
        ("123456789", "not valid"),  # bad ABA check digit
        ("11000000", "9 digits"),
        ("1100000000", "9 digits"),
        ("11000000a", "9 digits"),
        ("", "Enter"),
    ],
)
def test_bad_routing_numbers(routing: str, why: str) -> None:
    errors = errors_of(lambda: parse_bank(routing, "123456789", "checking", "Ana"))
    assert set(errors) == {"routing"}
    assert why in errors["routing"]


@pytest.mark.parametrize("account", ["", "123", "123456789012345678", "12345x"])
def test_bad_account_numbers(account: str) -> None:
    errors = errors_of(lambda: parse_bank("110000000", account, "checking", "Ana"))
    assert set(errors) == {"account"}


def test_bank_reports_every_bad_field_at_once_without_digits() -> None:
    with pytest.raises(EntryErrors) as caught:
        parse_bank("123456789", "98765", "money market", " ")
    errors = caught.value.errors
    assert list(errors) == ["routing", "account_type", "name"]
    assert str(caught.value) == "please check: routing, account_type, name"
    assert not any(re.search("[0-9]{5}", m) for m in [str(caught.value), *errors.values()])


# --- amounts -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "cents"),
    [
        ("125", 12500),
        ("125.5", 12550),
        ("$1,234.56", 123456),
        (" 12.30 ", 1230),
        ("$ 12", 1200),
        (".5", 50),
        ("0.01", 1),
        ("7.", 700),
        ("1,000", 100_000),
        ("100000", 10_000_000),
        ("$100,000.00", 10_000_000),
    ],
)
def test_amounts_as_typed(typed: str, cents: int) -> None:
    assert parse_amount(typed) == cents


@pytest.mark.parametrize(
    ("typed", "why"),
    [
        ("", "Enter an amount"),
        ("   ", "Enter an amount"),
        ("0", "more than zero"),
        ("0.00", "more than zero"),
        ("$0", "more than zero"),
        ("-5", "more than zero"),
        ("$-5.00", "more than zero"),
        ("-$5.00", "more than zero"),
        ("12.345", "two decimals"),
        ("1.250", "two decimals"),
        ("12a", "dollars and cents"),
        ("twelve", "dollars and cents"),
        ("1,23", "dollars and cents"),
        ("12,34.00", "dollars and cents"),
        ("1e3", "dollars and cents"),
        ("$", "dollars and cents"),
        (".", "dollars and cents"),
        ("1.2.3", "dollars and cents"),
        ("١٢", "dollars and cents"),  # Arabic-Indic digits
        ("100000.01", "$100,000.00"),
        ("1,000,000", "$100,000.00"),
    ],
)
def test_refused_amounts_say_why(typed: str, why: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_amount(typed)
    assert why in str(caught.value)
    assert str(caught.value).endswith(".")


@given(st.integers(min_value=1, max_value=10_000_000))
def test_amounts_round_trip_through_the_display(cents: int) -> None:
    assert parse_amount(format_usd(cents)) == cents
    assert parse_amount(format_usd(cents).replace(",", "").lstrip("$")) == cents


def test_bank_entry_refuses_raw_values_that_skipped_parsing() -> None:
    with pytest.raises(ValueError, match="account"):
        BankEntry("011000015", "12", BankAccountType.CHECKING, "Ana")
    with pytest.raises(ValueError, match="routing"):
        BankEntry("01100001", "1234", BankAccountType.CHECKING, "Ana")
