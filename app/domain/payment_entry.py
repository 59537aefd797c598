"""What an agent types for a payment by phone: card or bank details and an amount.

Everything here is checked before anything is sent to a processor, and every problem is
reported at once (one :class:`EntryErrors` naming each field), so the agent asks the
caller once, not once per mistake. Card numbers, CVVs and bank account numbers are secret:
no message, ``repr`` or ``str`` ever contains them (nor any other digits the agent typed),
so they cannot reach a log, a traceback or a crash report. Checksums come from
python-stdnum (Luhn for cards, ABA for routing numbers) rather than being written again.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from enum import StrEnum

from stdnum import luhn
from stdnum.us import rtn

from app.domain.ledger import MAX_ENTRY_CENTS
from app.domain.money import format_usd

# Separators an agent (or a paste) puts between groups of digits: any whitespace and
# dashes, hyphens included. Anything else is kept, so validation can refuse it.
_SEPARATORS = frozenset("-\u2010\u2011\u2012\u2013\u2014")
# ASCII digits only: ``str.isdigit`` and ``\d`` also accept Arabic-Indic digits,
# superscripts and the like, which no processor takes.
_DIGITS = re.compile(r"[0-9]+")
_LEADING_DIGITS = re.compile(r"[0-9]*")


def _is_digits(text: str) -> bool:
    return _DIGITS.fullmatch(text) is not None


def digits_only(text: str) -> str:
    """``"4242 4242-4242 4242"`` -> ``"4242424242424242"``: spaces and dashes dropped,
    every other character kept (a letter or a dot stays, so validation refuses it)."""
    return "".join(ch for ch in text if not ch.isspace() and ch not in _SEPARATORS)


class CardBrand(StrEnum):
    VISA = "visa"
    MASTERCARD = "mastercard"
    AMEX = "amex"
    DISCOVER = "discover"
    UNKNOWN = "unknown"  # not (yet) recognised: still accepted if length and Luhn are right

    @property
    def label(self) -> str:
        return _BRAND_LABELS[self]


_BRAND_LABELS = {
    CardBrand.VISA: "Visa",
    CardBrand.MASTERCARD: "Mastercard",
    CardBrand.AMEX: "American Express",
    CardBrand.DISCOVER: "Discover",
    CardBrand.UNKNOWN: "Card",
}

# Issuer ranges as (lowest prefix, highest prefix), both of the same width.
_BRAND_RANGES: tuple[tuple[CardBrand, str, str], ...] = (
    (CardBrand.VISA, "4", "4"),
    (CardBrand.MASTERCARD, "51", "55"),
    (CardBrand.MASTERCARD, "2221", "2720"),
    (CardBrand.AMEX, "34", "34"),
    (CardBrand.AMEX, "37", "37"),
    (CardBrand.DISCOVER, "6011", "6011"),
    (CardBrand.DISCOVER, "644", "649"),
    (CardBrand.DISCOVER, "65", "65"),
)

# Lengths each known brand issues; an unknown brand may have any of 13-19.
_BRAND_LENGTHS: dict[CardBrand, tuple[int, ...]] = {
    CardBrand.VISA: (13, 16, 19),
    CardBrand.MASTERCARD: (16,),
    CardBrand.AMEX: (15,),
    CardBrand.DISCOVER: (16, 17, 18, 19),
}
CARD_MIN_LENGTH = 13
CARD_MAX_LENGTH = 19


def _in_range(prefix: str, low: str, high: str) -> bool:
    """True when every number starting with ``prefix`` falls in ``low..high``: a prefix
    shorter than the range is only decided once all its completions agree ("23" is
    Mastercard, "22" is not yet: 2200-2220 are not)."""
    width = len(low)
    if len(prefix) >= width:
        return low <= prefix[:width] <= high
    pad = width - len(prefix)
    return low <= prefix + "0" * pad and prefix + "9" * pad <= high


def detect_brand(text: str) -> CardBrand:
    """The brand of a card number, live as it is typed: ``"4"`` is already Visa, ``"5"``
    is not yet anything (50 is no Mastercard), ``"51"`` is Mastercard."""
    match = _LEADING_DIGITS.match(digits_only(text))
    prefix = match[0] if match else ""
    if not prefix:
        return CardBrand.UNKNOWN
    for brand, low, high in _BRAND_RANGES:
        if _in_range(prefix, low, high):
            return brand
    return CardBrand.UNKNOWN


def format_card_number(text: str) -> str:
    """The number as the form shows it while typed: ``4242 4242 4242 4242``, American
    Express ``3782 822463 10005``. Spaces and dashes typed are replaced by the grouping;
    other characters stay where they were, so the agent sees them."""
    compact = digits_only(text)
    groups = (4, 6, 5) if detect_brand(compact) is CardBrand.AMEX else (4, 4, 4, 4)
    parts: list[str] = []
    start = 0
    for size in groups:
        if start >= len(compact):
            break
        parts.append(compact[start : start + size])
        start += size
    while start < len(compact):  # longer numbers (19-digit Visa, Discover) go on in fours
        parts.append(compact[start : start + 4])
        start += 4
    return " ".join(parts)


class BankAccountType(StrEnum):
    CHECKING = "checking"
    SAVINGS = "savings"


@dataclass(frozen=True)
class CardEntry:
    """A card as the caller read it out, already checked by :func:`parse_card`.

    ``repr`` and ``str`` show brand, last four and expiry only: the full number and the
    CVV never reach a log line or an exception.
    """

    number: str = field(repr=False)  # digits only
    exp_month: int
    exp_year: int  # four digits
    cvv: str = field(repr=False)
    postal_code: str
    name: str

    def __post_init__(self) -> None:
        # Messages say what is wrong, never the values.
        if not (_is_digits(self.number) and CARD_MIN_LENGTH <= len(self.number) <= CARD_MAX_LENGTH):
            raise ValueError("card entry: the number must be 13 to 19 digits")
        if not (_is_digits(self.cvv) and len(self.cvv) in (3, 4)):
            raise ValueError("card entry: the CVV must be 3 or 4 digits")
        if not 1 <= self.exp_month <= 12 or not 1000 <= self.exp_year <= 9999:
            raise ValueError("card entry: expiry needs a month 1-12 and a four-digit year")

    @property
    def brand(self) -> CardBrand:
        return detect_brand(self.number)

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def expiry_label(self) -> str:
        """``"12/28"``, as printed on the card."""
        return f"{self.exp_month:02d}/{self.exp_year % 100:02d}"

    def __repr__(self) -> str:
        return (
            f"CardEntry(brand={self.brand.value!r}, last4={self.last4!r}, "
            f"expiry={self.expiry_label!r})"
        )

    def __str__(self) -> str:
        return f"{self.brand.label} ending in {self.last4}, expires {self.expiry_label}"


@dataclass(frozen=True)
class BankEntry:
    """A bank account for an ACH payment, already checked by :func:`parse_bank`.

    The routing number names the bank and is public; the account number is secret, so
    ``repr`` and ``str`` show its last four only.
    """

    routing: str
    account: str = field(repr=False)
    account_type: BankAccountType
    name: str

    def __post_init__(self) -> None:
        if not (_is_digits(self.routing) and len(self.routing) == 9):
            raise ValueError("bank entry: the routing number must be 9 digits")
        if not (_is_digits(self.account) and 4 <= len(self.account) <= 17):
            raise ValueError("bank entry: the account number must be 4 to 17 digits")

    @property
    def last4(self) -> str:
        return self.account[-4:]

    def __repr__(self) -> str:
        return (
            f"BankEntry(routing={self.routing!r}, account_type={self.account_type.value!r}, "
            f"last4={self.last4!r})"
        )

    def __str__(self) -> str:
        return f"{self.account_type.value.capitalize()} account ending in {self.last4}"


class EntryErrors(ValueError):
    """Every problem with a payment form, by field, for the agent to read next to each
    field. The exception's own text names the fields only, never what was typed."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("please check: " + ", ".join(self.errors))


_NAME_MAX = 80


def _check_name(name: str, errors: dict[str, str]) -> str:
    cleaned = " ".join(name.split())
    if not cleaned:
        errors["name"] = "Enter the name on the account."
    elif len(cleaned) > _NAME_MAX:
        errors["name"] = f"Use at most {_NAME_MAX} characters for the name."
    return cleaned


def _check_card_number(number: str, errors: dict[str, str]) -> None:
    brand = detect_brand(number)
    if not number:
        errors["number"] = "Enter the card number."
    elif not _is_digits(number):
        errors["number"] = "Use digits only for the card number."
    elif not CARD_MIN_LENGTH <= len(number) <= CARD_MAX_LENGTH:
        errors["number"] = "A card number has 13 to 19 digits; check it with the caller."
    elif brand in _BRAND_LENGTHS and len(number) not in _BRAND_LENGTHS[brand]:
        lengths = _BRAND_LENGTHS[brand]
        if len(lengths) == 1:
            allowed = str(lengths[0])
        elif lengths == (16, 17, 18, 19):
            allowed = "16 to 19"
        else:
            allowed = ", ".join(str(n) for n in lengths[:-1]) + f" or {lengths[-1]}"
        errors["number"] = f"A {brand.label} number has {allowed} digits; check it."
    elif not luhn.is_valid(number):
        errors["number"] = "This card number is not valid; read it back to the caller."


_EXPIRY_SLASH = re.compile(r"([0-9]{1,2})\s*/\s*([0-9]{2}|[0-9]{4})")
_EXPIRY_COMPACT = re.compile(r"([0-9]{2})([0-9]{2})")
_EXPIRY_MAX_MONTHS_AHEAD = 20 * 12


def _check_expiry(expiry: str, today: date, errors: dict[str, str]) -> tuple[int, int]:
    text = expiry.strip()
    match = _EXPIRY_SLASH.fullmatch(text) or _EXPIRY_COMPACT.fullmatch(text)
    if not text:
        errors["expiry"] = "Enter the expiry date as MM/YY."
        return 0, 0
    if match is None:
        errors["expiry"] = "Enter the expiry date as MM/YY, for example 04/29."
        return 0, 0
    month, year = int(match[1]), int(match[2])
    if len(match[2]) == 2:
        year += 2000  # cards expire ahead, never in the 1900s
    if not 1 <= month <= 12:
        errors["expiry"] = "The expiry month must be 01 to 12."
        return 0, 0
    ahead = (year - today.year) * 12 + (month - today.month)
    if ahead < 0:
        errors["expiry"] = "This card has expired; ask for another card."
    elif ahead > _EXPIRY_MAX_MONTHS_AHEAD:
        errors["expiry"] = "The expiry date is too far ahead; check it with the caller."
    return month, year


_ZIP = re.compile(r"([0-9]{5})(?:-?([0-9]{4}))?")


def _check_postal_code(postal_code: str, errors: dict[str, str]) -> str:
    text = postal_code.strip()
    match = _ZIP.fullmatch(text)
    if not text:
        errors["postal_code"] = "Enter the billing ZIP code."
        return ""
    if match is None:
        errors["postal_code"] = "Enter a 5-digit ZIP code, or the 9-digit ZIP+4."
        return ""
    return f"{match[1]}-{match[2]}" if match[2] else match[1]


def parse_card(
    number: str, expiry: str, cvv: str, postal_code: str, name: str, *, today: date
) -> CardEntry:
    """The card form as typed, checked field by field.

    Expiry may be ``MM/YY``, ``MM/YYYY`` or ``MMYY``; a card is good through the end of
    its expiry month, so that month itself is accepted. Raises one :class:`EntryErrors`
    with every problem found.
    """
    errors: dict[str, str] = {}
    digits = digits_only(number)
    _check_card_number(digits, errors)
    month, year = _check_expiry(expiry, today, errors)
    code = cvv.strip()
    cvv_length = 4 if detect_brand(digits) is CardBrand.AMEX else 3
    if not code:
        errors["cvv"] = "Enter the security code."
    elif not (_is_digits(code) and len(code) == cvv_length):
        where = "front" if cvv_length == 4 else "back"
        errors["cvv"] = f"The security code is {cvv_length} digits, on the {where} of the card."
    zip_code = _check_postal_code(postal_code, errors)
    holder = _check_name(name, errors)
    if errors:
        raise EntryErrors(errors)
    return CardEntry(digits, month, year, code, zip_code, holder)


def parse_bank(routing: str, account: str, account_type: str, name: str) -> BankEntry:
    """The bank form as typed, checked field by field; one :class:`EntryErrors` with every
    problem found. The routing number's ABA check digit catches most misheard digits."""
    errors: dict[str, str] = {}
    routing_digits = digits_only(routing)
    if not routing_digits:
        errors["routing"] = "Enter the 9-digit routing number."
    elif not (_is_digits(routing_digits) and len(routing_digits) == 9):
        errors["routing"] = "A routing number has 9 digits."
    elif not rtn.is_valid(routing_digits):
        errors["routing"] = "This routing number is not valid; read it back to the caller."
    account_digits = digits_only(account)
    if not account_digits:
        errors["account"] = "Enter the account number."
    elif not (_is_digits(account_digits) and 4 <= len(account_digits) <= 17):
        errors["account"] = "An account number has 4 to 17 digits."
    kind: BankAccountType | None = None
    try:
        kind = BankAccountType(account_type.strip().lower())
    except ValueError:
        errors["account_type"] = "Choose checking or savings."
    holder = _check_name(name, errors)
    if errors or kind is None:
        raise EntryErrors(errors)
    return BankEntry(routing_digits, account_digits, kind, holder)


_AMOUNT = re.compile(
    r"(?P<sign>-)?\s*\$?\s*(?P<sign2>-)?"
    r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+|[0-9]*)"
    r"(?:\.(?P<frac>[0-9]*))?"
)


def parse_amount(text: str) -> int:
    """A payment amount as typed (``125``, ``125.5``, ``$1,234.56``) to cents.

    Refused with a sentence for the agent: nothing typed, zero or less, letters, commas
    out of place, more than two decimals (``1.250`` may be someone's 1,250), or more
    than one ledger entry may hold ($100,000).
    """
    stripped = text.strip()
    if not stripped:
        raise ValueError("Enter an amount.")
    match = _AMOUNT.fullmatch(stripped)
    if match is None or not (match["whole"] or match["frac"]):
        raise ValueError("Enter the amount in dollars and cents, like 125.50.")
    if match["sign"] or match["sign2"]:
        raise ValueError("The amount must be more than zero.")
    fraction = match["frac"] or ""
    if len(fraction) > 2:
        raise ValueError("Use at most two decimals for the cents.")
    whole = match["whole"].replace(",", "") or "0"
    dollars = Decimal(f"{whole}.{fraction or '0'}")
    cents = int(dollars * 100)
    if cents <= 0:
        raise ValueError("The amount must be more than zero.")
    if cents > MAX_ENTRY_CENTS:
        raise ValueError(f"The amount cannot be more than {format_usd(MAX_ENTRY_CENTS)}.")
    return cents
