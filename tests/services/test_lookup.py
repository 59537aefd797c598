"""The lookup service on both engines, with accounts registered through the services."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import Engine

from app.domain.codes import LedgerKind, Relationship
from app.services.lookup import lookup
from app.services.registration import NewAccount, NewPatient, register_account
from app.store.db import session_factory
from app.store.models import LedgerEntry

TODAY = date(2026, 11, 23)


@pytest.fixture
def families(engine: Engine) -> Engine:
    accounts = [
        NewAccount(
            "40000001",
            "María",
            "García",
            "(503) 555-0123",
            patients=[
                NewPatient("José", "García", date(2011, 4, 12), "1000001"),
                NewPatient("Lucía", "García", date(2014, 9, 3), "1000002"),
            ],
        ),
        NewAccount(
            "40000002",
            "Daniel",
            "Garner",
            "+1 971 555 0188",
            patients=[NewPatient("Ava", "Garner", date(2016, 1, 30), "1000003")],
        ),
        NewAccount(
            "40000003",
            "Siobhan",
            "O'Brien-Núñez",
            "212-555-0199",
            patients=[
                NewPatient("Liam", "O'Brien-Núñez", date(2009, 7, 1), "1000004"),
                NewPatient(
                    "Siobhan", "O'Brien-Núñez", date(1985, 2, 2), "1000005", Relationship.SELF
                ),
            ],
        ),
        NewAccount(
            "40000004",
            "Joseph",
            "Abbott",
            "503 555 7777",
            patients=[NewPatient("Maria", "Abbott", date(2011, 4, 12), "1000006")],
        ),
    ]
    with session_factory(engine).begin() as session:
        for new in accounts:
            account = register_account(session, new)
            if new.account_number == "40000001":
                session.add(
                    LedgerEntry(
                        account_id=account.id,
                        kind=LedgerKind.CHARGE,
                        amount_cents=25000,
                        effective_date=date(2026, 10, 1),
                    )
                )
                session.add(
                    LedgerEntry(
                        account_id=account.id,
                        kind=LedgerKind.PATIENT_PAYMENT,
                        amount_cents=-4000,
                        effective_date=date(2026, 10, 20),
                    )
                )
    return engine


def names(engine: Engine, text: str) -> list[str]:
    with engine.connect() as conn:
        return [r.name for r in lookup(conn, text, TODAY).results]


def test_partial_last_name_finds_guarantor_and_patients_in_name_order(families: Engine) -> None:
    assert names(families, "gar") == [
        "García, José",
        "García, Lucía",
        "García, María",
        "Garner, Ava",
        "Garner, Daniel",
    ]


def test_accents_and_case_do_not_matter(families: Engine) -> None:
    assert names(families, "JOSE GARCIA") == ["García, José"]
    assert names(families, "josé garcía") == names(families, "jose garcia")
    assert names(families, "obrien") == names(families, "O'Brien-Nunez")


def test_last_comma_first(families: Engine) -> None:
    assert names(families, "garcia, lu") == ["García, Lucía"]
    assert names(families, "o'brien-núñez, s") == ["O'Brien-Núñez, Siobhan"] * 2


def test_first_name_alone_comes_after_last_names(families: Engine) -> None:
    assert names(families, "maria") == ["Abbott, Maria", "García, María"]


def test_name_plus_date_of_birth(families: Engine) -> None:
    assert names(families, "garcia 04/12/2011") == ["García, José"]
    assert names(families, "4/12/11") == ["Abbott, Maria", "García, José"]
    assert names(families, "2011-04-12 abbott") == ["Abbott, Maria"]


def test_phone_any_format_and_last_digits(families: Engine) -> None:
    full = names(families, "(503) 555-0123")
    assert full == ["García, José", "García, Lucía", "García, María"]
    assert names(families, "503.555.0123") == full
    assert names(families, "+15035550123") == full
    assert names(families, "0123") == full
    assert names(families, "5550188") == ["Garner, Ava", "Garner, Daniel"]


def test_account_number_and_mrn(families: Engine) -> None:
    with families.connect() as conn:
        answer = lookup(conn, "40000002", TODAY)
    assert [r.role for r in answer.results] == ["guarantor", "patient"]
    assert names(families, "1000004") == ["O'Brien-Núñez, Liam"]


def test_result_row_shows_age_phone_and_ledger_balance(families: Engine) -> None:
    with families.connect() as conn:
        row = lookup(conn, "garcia, jose", TODAY).results[0]
    assert row.age == "15"
    assert row.phone == "(503) 555-0123"
    assert row.account_number == "40000001"
    assert row.mrn == "1000001"
    assert row.balance_cents == 21000


@pytest.mark.parametrize(
    "text",
    [
        "'",
        '"',
        "%",
        "_",
        "\\",
        "%%%",
        "garcia%",
        "' OR 1=1 --",
        "'; DROP TABLE patient; --",
        "😀",
        "García 😀",
        "x" * 10_000,
        "1" * 10_000,
        "13/45/2011",
        "00/00/0000",
        ",",
        ", ,",
        "\x00",
        "\u202e",
        "  ",
    ],
)
def test_bad_input_returns_without_error(families: Engine, text: str) -> None:
    with families.connect() as conn:
        answer = lookup(conn, text, TODAY)
    assert len(answer.results) <= 20
    assert names(families, "garcia, jose") == ["García, José"]  # nothing was harmed


def test_limit_is_respected(families: Engine) -> None:
    with families.connect() as conn:
        assert len(lookup(conn, "a", TODAY, limit=2).results) == 2
