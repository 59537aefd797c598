"""Who is calling: the identity check that comes before any balance, visit or clinical detail.

The policy is central: by default the caller gives a name and date of birth that belong
to the same person on the account (the patient or the guarantor) and one more fact from
the account (street address, ZIP, phone on file or account number). The caller's
answers are checked against the record here; the agent never has to compare them by
eye, and the record's values are never shown before the check passes.

A :class:`Verification` names the facts that matched or did not, never their values,
so it can be recorded and synced without carrying PHI.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from app.domain.names import name_key
from app.domain.phones import to_e164


class Factor(StrEnum):
    NAME = "name"
    DOB = "dob"
    ADDRESS = "address"
    ZIP = "zip"
    PHONE = "phone"
    ACCOUNT = "account"


FACTOR_WORDS = {
    Factor.NAME: "name",
    Factor.DOB: "date of birth",
    Factor.ADDRESS: "street address",
    Factor.ZIP: "ZIP code",
    Factor.PHONE: "phone on file",
    Factor.ACCOUNT: "account number",
}
_DEFAULT_POLICY = "name+dob+1:address,zip,phone,account"


@dataclass(frozen=True)
class VerificationPolicy:
    """Facts every caller gives (``required``) and how many of ``one_of`` besides."""

    required: tuple[Factor, ...] = (Factor.NAME, Factor.DOB)
    one_of: tuple[Factor, ...] = (Factor.ADDRESS, Factor.ZIP, Factor.PHONE, Factor.ACCOUNT)
    how_many: int = 1

    def __post_init__(self) -> None:
        if not self.required and not self.how_many:
            raise ValueError("a verification policy must ask for something")
        if self.how_many > len(self.one_of):
            raise ValueError("the policy asks for more facts than it offers")
        if set(self.required) & set(self.one_of):
            raise ValueError("a fact cannot be both required and optional")

    @classmethod
    def parse(cls, text: str) -> VerificationPolicy:
        """``"name+dob+1:address,zip,phone,account"``: required facts joined by ``+``,
        then optionally ``N:`` and the facts to choose N from."""
        text = text.strip().lower()
        required: list[Factor] = []
        one_of: tuple[Factor, ...] = ()
        how_many = 0
        try:
            for part in filter(None, text.split("+")):
                if ":" in part:
                    count, _, choices = part.partition(":")
                    how_many = int(count)
                    one_of = tuple(Factor(c.strip()) for c in choices.split(",") if c.strip())
                else:
                    required.append(Factor(part.strip()))
        except ValueError as exc:
            raise ValueError(f"unreadable verification policy {text!r}") from exc
        return cls(tuple(required), one_of, how_many)

    def describe(self) -> str:
        """In words, for the agent: "name, date of birth and one of: ..."."""
        words = [FACTOR_WORDS[f] for f in self.required]
        if self.how_many:
            count = "one" if self.how_many == 1 else str(self.how_many)
            words.append(f"{count} of: " + ", ".join(FACTOR_WORDS[f] for f in self.one_of))
        return " and ".join([", ".join(words[:-1]), words[-1]] if len(words) > 1 else words)

    @property
    def asks(self) -> tuple[Factor, ...]:
        return self.required + self.one_of


DEFAULT_VERIFICATION = VerificationPolicy.parse(_DEFAULT_POLICY)


@dataclass(frozen=True)
class Person:
    """Someone on the account a caller may name: the guarantor or a patient."""

    id: uuid.UUID
    first_name: str
    last_name: str
    date_of_birth: date | None
    is_guarantor: bool = False


@dataclass(frozen=True)
class IdentityRecord:
    """What the account holds to check answers against (loaded only for the check)."""

    account_number: str
    people: tuple[Person, ...]
    addresses: tuple[str, ...] = ()  # street lines
    postal_codes: tuple[str, ...] = ()
    phones_e164: tuple[str, ...] = ()


@dataclass(frozen=True)
class Answers:
    """What the caller said. Empty text or None: not given."""

    name: str = ""
    date_of_birth: date | None = None
    address: str = ""
    zip: str = ""
    phone: str = ""
    account: str = ""

    def given(self) -> set[Factor]:
        values = {
            Factor.NAME: self.name.strip(),
            Factor.DOB: self.date_of_birth,
            Factor.ADDRESS: self.address.strip(),
            Factor.ZIP: self.zip.strip(),
            Factor.PHONE: self.phone.strip(),
            Factor.ACCOUNT: self.account.strip(),
        }
        return {factor for factor, value in values.items() if value}


@dataclass(frozen=True)
class Verification:
    passed: bool
    matched: tuple[Factor, ...]
    failed: tuple[Factor, ...]  # given but wrong
    missing: tuple[Factor, ...] = ()  # what the policy still needs
    person_id: uuid.UUID | None = None  # whose name and date of birth matched
    method: str = field(default="")  # e.g. "name+dob+zip": recorded, no values

    def problem(self) -> str:
        """What the agent reads when the check did not pass (no record values)."""
        if self.passed:
            return ""
        parts = []
        if self.failed:
            parts.append("did not match: " + ", ".join(FACTOR_WORDS[f] for f in self.failed))
        if self.missing:
            parts.append("still needed: " + ", ".join(FACTOR_WORDS[f] for f in self.missing))
        return "; ".join(parts).capitalize()


def check_identity(
    answers: Answers, record: IdentityRecord, policy: VerificationPolicy = DEFAULT_VERIFICATION
) -> Verification:
    """Check the caller's answers against the account under ``policy``."""
    given = answers.given()
    person = _person_named(answers, record.people)
    ok: dict[Factor, bool] = {}
    if Factor.NAME in given:
        named = person is not None or any(_same_name(answers.name, p) for p in record.people)
        ok[Factor.NAME] = named
    if Factor.DOB in given:
        # Name and date of birth must belong to the same person when both are given.
        candidates = [person] if person is not None else list(record.people)
        ok[Factor.DOB] = any(p.date_of_birth == answers.date_of_birth for p in candidates)
    if Factor.ADDRESS in given:
        ok[Factor.ADDRESS] = _street_key(answers.address) in {
            _street_key(a) for a in record.addresses if a
        }
    if Factor.ZIP in given:
        said = _zip5(answers.zip)
        ok[Factor.ZIP] = bool(said) and said in {_zip5(z) for z in record.postal_codes if z}
    if Factor.PHONE in given:
        number = to_e164(answers.phone)
        ok[Factor.PHONE] = number is not None and number in record.phones_e164
    if Factor.ACCOUNT in given:
        ok[Factor.ACCOUNT] = (
            _digits(answers.account).lstrip("0") == _digits(record.account_number).lstrip("0") != ""
        )
    matched = tuple(f for f in Factor if ok.get(f))
    failed = tuple(f for f in Factor if f in ok and not ok[f])
    missing = [f for f in policy.required if f not in ok]
    chosen = [f for f in policy.one_of if ok.get(f)]
    if len(chosen) < policy.how_many:
        missing.extend(f for f in policy.one_of if f not in ok)
    passed = (
        not failed and all(ok.get(f) for f in policy.required) and len(chosen) >= policy.how_many
    )
    used = [*policy.required, *chosen[: policy.how_many]]
    return Verification(
        passed=passed,
        matched=matched,
        failed=failed,
        missing=tuple(missing) if not passed else (),
        person_id=person.id if person is not None and passed else None,
        method="+".join(used) if passed else "",
    )


def _person_named(answers: Answers, people: Iterable[Person]) -> Person | None:
    """The person whose name (and date of birth, when given) the caller said."""
    named = [p for p in people if answers.name.strip() and _same_name(answers.name, p)]
    if answers.date_of_birth is not None:
        exact = [p for p in named if p.date_of_birth == answers.date_of_birth]
        if exact:
            return exact[0]
    return named[0] if len(named) == 1 else None


def _same_name(said: str, person: Person) -> bool:
    """First and last name, in either order, accents and case aside; a compound last
    name may be given in part ("Mia Lopez" for Mia Lopez-Garcia)."""
    words = [name_key(w) for w in re.split(r"[\s,]+", said) if name_key(w)]
    if len(words) < 2:
        return False
    first = name_key(person.first_name)
    last_parts = {name_key(w) for w in re.split(r"[\s\-]+", person.last_name) if name_key(w)}
    last_parts.add(name_key(person.last_name))
    return first in words and any(w in last_parts for w in words if w != first)


_STREET_WORDS = {
    "street": "st", "avenue": "ave", "av": "ave", "road": "rd", "drive": "dr",
    "lane": "ln", "boulevard": "blvd", "court": "ct", "place": "pl", "circle": "cir",
    "highway": "hwy", "parkway": "pkwy", "terrace": "ter", "trail": "trl",
    "north": "n", "south": "s", "east": "e", "west": "w", "apartment": "apt",
}  # fmt: skip


def _street_key(text: str) -> str:
    words = [name_key(w) for w in re.split(r"[\s,.#]+", text) if name_key(w)]
    return " ".join(_STREET_WORDS.get(w, w) for w in words)


def _zip5(text: str) -> str:
    return _digits(text)[:5]


def _digits(text: str) -> str:
    return "".join(ch for ch in text if ch.isdigit())
