"""What the agent typed into the one search box, understood.

``parse_lookup`` turns free text into a :class:`LookupQuery`: a list of
:class:`Criterion` in priority order. The store runs each criterion as one index range
and concatenates the answers, so the parser alone decides what a query means.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.dates import parse_us_date
from app.domain.names import name_key
from app.domain.phones import to_e164

MAX_QUERY_CHARS = 200  # anything longer is a paste accident; the rest is ignored
MAX_NAME_TOKENS = 4
MIN_PHONE_SUFFIX = 4

_PHONE_TEXT = re.compile(r"^[\d\s()+\-.]+$")
_ID_TOKEN = re.compile(r"^[A-Za-z]{1,3}-?\d{3,}$")


class Field(StrEnum):
    """What a criterion matches on; also the kind of query shown to the agent."""

    ACCOUNT = "account"
    MRN = "mrn"
    PHONE = "phone"
    PHONE_SUFFIX = "phone_suffix"
    DOB = "dob"
    NAME = "name"


@dataclass(frozen=True)
class Criterion:
    """One way of reading the query, answered by one index range.

    ``last``/``first`` are name-key prefixes; ``dob`` an exact date; ``phone_suffix`` the
    national digits the number ends with; ``account``/``mrn`` exact identifiers.
    ``by_first`` orders by first name (for a single word that may be a first name).
    """

    field: Field
    last: str | None = None
    first: str | None = None
    dob: date | None = None
    phone_suffix: str | None = None
    account: str | None = None
    mrn: str | None = None
    by_first: bool = False


@dataclass(frozen=True)
class LookupQuery:
    text: str
    criteria: tuple[Criterion, ...]
    hint: str  # a few words saying how the text was understood, shown under the box

    @property
    def is_empty(self) -> bool:
        return not self.criteria


def parse_lookup(text: str, today: date) -> LookupQuery:
    """Understand a search: account number, MRN, phone, date of birth, names, or a mix."""
    text = text[:MAX_QUERY_CHARS].strip()
    if not text:
        return LookupQuery("", (), "")
    if _PHONE_TEXT.match(text) and parse_us_date(text, today) is None:
        return _parse_number(text)

    dob: date | None = None
    ids: list[str] = []
    if "," in text:
        left, right = text.split(",", 1)
        last_tokens, dob, ids = _split_tokens(left, today, dob, ids)
        first_tokens, dob, ids = _split_tokens(right, today, dob, ids)
        name_guesses = _comma_guesses(last_tokens, first_tokens)
    else:
        tokens, dob, ids = _split_tokens(text, today, dob, ids)
        name_guesses = _free_guesses(tokens)

    criteria: list[Criterion] = []
    for token in ids:
        criteria.extend(_id_criteria(token))
    if name_guesses:
        for last, first, by_first in name_guesses:
            criteria.append(
                Criterion(Field.NAME, last=last, first=first, dob=dob, by_first=by_first)
            )
    elif dob is not None:
        criteria.append(Criterion(Field.DOB, dob=dob))
    return LookupQuery(text, tuple(criteria), _hint(criteria, dob))


def _split_tokens(
    text: str, today: date, dob: date | None, ids: list[str]
) -> tuple[list[str], date | None, list[str]]:
    """Name keys of the words in ``text``, taking out a date of birth and identifiers."""
    names: list[str] = []
    for raw in text.split():
        if dob is None and (found := parse_us_date(raw, today)) is not None:
            dob = found
        elif _ID_TOKEN.match(raw) or (raw.isdigit() and len(raw) >= 3):
            ids.append(raw.replace("-", "").upper())
        elif key := name_key(raw):
            names.append(key)
    return names[:MAX_NAME_TOKENS], dob, ids


def _comma_guesses(
    last_tokens: list[str], first_tokens: list[str]
) -> list[tuple[str | None, str | None, bool]]:
    last = "".join(last_tokens) or None
    first = "".join(first_tokens) or None
    if last is None and first is None:
        return []
    return [(last, first, last is None)]


def _free_guesses(tokens: list[str]) -> list[tuple[str | None, str | None, bool]]:
    """Without a comma a single word is a last or a first name; two are "first last" or
    "last first"; more are a first name and a multi-word last name, or the reverse."""
    if not tokens:
        return []
    if len(tokens) == 1:
        return [(tokens[0], None, False), (None, tokens[0], True)]
    if len(tokens) == 2:
        a, b = tokens
        return [(b, a, False), (a, b, False)]
    return [
        ("".join(tokens[1:]), tokens[0], False),
        (tokens[-1], "".join(tokens[:-1]), False),
        (tokens[0], "".join(tokens[1:]), False),
    ]


def _parse_number(text: str) -> LookupQuery:
    digits = re.sub(r"\D", "", text)
    criteria: list[Criterion] = []
    if len(digits) >= 3:
        criteria.append(Criterion(Field.ACCOUNT, account=digits))
        criteria.append(Criterion(Field.MRN, mrn=digits))
    e164 = to_e164(text) if len(digits) >= 10 else None
    if e164 is not None:
        national = e164[-10:] if e164.startswith("+1") else digits
        criteria.append(Criterion(Field.PHONE, phone_suffix=national))
    elif MIN_PHONE_SUFFIX <= len(digits) <= 10:
        criteria.append(Criterion(Field.PHONE_SUFFIX, phone_suffix=digits))
    return LookupQuery(text, tuple(criteria), _hint(criteria, None))


def _id_criteria(token: str) -> list[Criterion]:
    return [Criterion(Field.MRN, mrn=token), Criterion(Field.ACCOUNT, account=token)]


def _hint(criteria: list[Criterion], dob: date | None) -> str:
    if not criteria:
        return "Type a name, date of birth, phone, account number or MRN"
    fields = {c.field for c in criteria}
    parts: list[str] = []
    if Field.ACCOUNT in fields or Field.MRN in fields:
        parts.append("account / MRN")
    if Field.PHONE in fields:
        parts.append("phone number")
    elif Field.PHONE_SUFFIX in fields:
        parts.append("phone ending")
    if Field.NAME in fields:
        parts.append("name")
    if dob is not None:
        parts.append(f"born {dob:%m/%d/%Y}")
    return "Searching by " + " + ".join(parts)
