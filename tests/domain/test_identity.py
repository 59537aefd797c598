"""The identity check: the caller's answers against the record, under a central policy."""

from __future__ import annotations

import uuid
from datetime import date

import pytest

from app.domain.identity import (
    DEFAULT_VERIFICATION,
    Answers,
    Factor,
    IdentityRecord,
    Person,
    VerificationPolicy,
    check_identity,
)

PARENT = Person(uuid.uuid4(), "Ana", "López García", date(1984, 2, 3), is_guarantor=True)
CHILD = Person(uuid.uuid4(), "Mia", "López García", date(2015, 3, 14))
RECORD = IdentityRecord(
    account_number="10004521",
    people=(PARENT, CHILD),
    addresses=("1207 North Elm Street",),
    postal_codes=("75201-3344",),
    phones_e164=("+12145550134",),
)


def test_name_dob_and_zip_pass_for_the_child() -> None:
    result = check_identity(Answers("mia lopez", date(2015, 3, 14), zip="75201"), RECORD)
    assert result.passed
    assert result.method == "name+dob+zip"
    assert result.person_id == CHILD.id


@pytest.mark.parametrize(
    "answers",
    [
        Answers("Garcia, Ana", date(1984, 2, 3), phone="(214) 555-0134"),
        Answers("ANA LOPEZ GARCIA", date(1984, 2, 3), address="1207 n elm st"),
        Answers("Ana López", date(1984, 2, 3), account="10004521"),
    ],
)
def test_the_ways_a_parent_passes(answers: Answers) -> None:
    result = check_identity(answers, RECORD)
    assert result.passed and result.person_id == PARENT.id


def test_name_and_date_of_birth_must_be_the_same_person() -> None:
    # The child's name with the parent's date of birth: both exist, but not together.
    result = check_identity(Answers("Mia Lopez", date(1984, 2, 3), zip="75201"), RECORD)
    assert not result.passed
    assert result.failed == (Factor.DOB,)
    assert result.problem() == "Did not match: date of birth"


def test_a_wrong_extra_answer_fails_even_if_another_matches() -> None:
    answers = Answers("Mia Lopez", date(2015, 3, 14), zip="75201", phone="2145559999")
    result = check_identity(answers, RECORD)
    assert not result.passed and result.failed == (Factor.PHONE,)
    assert result.method == ""  # nothing is recorded as a method when it failed


def test_missing_facts_are_named() -> None:
    result = check_identity(Answers("Mia Lopez", date(2015, 3, 14)), RECORD)
    assert not result.passed and not result.failed
    assert set(result.missing) == {Factor.ADDRESS, Factor.ZIP, Factor.PHONE, Factor.ACCOUNT}
    assert result.problem().startswith("Still needed: street address")


def test_first_name_alone_is_not_a_name() -> None:
    result = check_identity(Answers("Mia", date(2015, 3, 14), zip="75201"), RECORD)
    assert not result.passed and Factor.NAME in result.failed


def test_policy_text_round_trip_and_words() -> None:
    assert VerificationPolicy.parse("name+dob+1:address,zip,phone,account") == DEFAULT_VERIFICATION
    assert DEFAULT_VERIFICATION.describe() == (
        "name, date of birth and one of: street address, ZIP code, phone on file, account number"
    )
    strict = VerificationPolicy.parse("name+dob+2:zip,phone,account")
    answers = Answers("Mia Lopez", date(2015, 3, 14), zip="75201")
    assert not check_identity(answers, RECORD, strict).passed
    both = Answers("Mia Lopez", date(2015, 3, 14), zip="75201", account="10004521")
    assert check_identity(both, RECORD, strict).method == "name+dob+zip+account"


@pytest.mark.parametrize("text", ["name+dob+1:zip,shoe", "name+dob+3:zip,phone", "", "dob+1:dob"])
def test_bad_policies_are_refused(text: str) -> None:
    with pytest.raises(ValueError):
        VerificationPolicy.parse(text)
