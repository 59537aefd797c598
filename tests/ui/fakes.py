"""A stand-in for ``app.services.desk.Desk`` for widget tests: same methods, canned records.

It answers from a small in-memory list, can be told to sleep per query (to make answers
arrive out of order) and records what it was asked. It never touches a database.
"""

from __future__ import annotations

import threading
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime

from app.domain.identity import Answers, IdentityRecord, Person, Verification, check_identity
from app.services.explainer import ExplainerView
from app.services.policy import DeskPolicy
from app.services.views import (
    AccountCard,
    AccountDetail,
    CoverageInfo,
    LookupAnswer,
    LookupResult,
    PatientInfo,
    UserInfo,
)

ACCOUNT_ID = uuid.UUID("00000000-0000-4000-8000-000000000001")
OTHER_ACCOUNT_ID = uuid.UUID("00000000-0000-4000-8000-000000000002")
GUARANTOR_ID = uuid.UUID("00000000-0000-4000-8000-0000000000a1")
MIA_ID = uuid.UUID("00000000-0000-4000-8000-0000000000b1")
LEO_ID = uuid.UUID("00000000-0000-4000-8000-0000000000b2")


def _result(
    name: str,
    role: str,
    person: uuid.UUID,
    patient: uuid.UUID | None,
    born: date,
    age: str,
    mrn: str | None,
    account: uuid.UUID = ACCOUNT_ID,
    number: str = "A100234",
    balance: int = 48_250,
    phone: str = "(503) 555-0142",
) -> LookupResult:
    return LookupResult(
        person_id=person,
        account_id=account,
        patient_id=patient,
        role=role,
        name=name,
        date_of_birth=born,
        age=age,
        account_number=number,
        mrn=mrn,
        phone=phone,
        balance_cents=balance,
    )


PEOPLE: tuple[LookupResult, ...] = (
    _result("Rivera, Ana", "guarantor", GUARANTOR_ID, None, date(1986, 3, 14), "39", None),
    _result("Rivera, Mia", "patient", MIA_ID, MIA_ID, date(2016, 7, 2), "9", "M0042117"),
    _result("Rivera, Leo", "patient", LEO_ID, LEO_ID, date(2024, 1, 20), "22 mo", "M0042118"),
    _result(
        "Rivers, Tom",
        "guarantor",
        uuid.uuid4(),
        None,
        date(1971, 11, 5),
        "54",
        None,
        account=OTHER_ACCOUNT_ID,
        number="A100877",
        balance=-2_000,
        phone="(503) 555-0199",
    ),
)

DETAIL = AccountDetail(
    id=ACCOUNT_ID,
    account_number="A100234",
    guarantor_name="Rivera, Ana",
    guarantor_dob=date(1986, 3, 14),
    phone="(503) 555-0142",
    alt_phone="",
    email="ana.rivera@example.org",
    address="1200 NW Lovejoy St, Apt 4, Portland, OR 97209",
    preferred_language="Spanish",
    patients=(
        PatientInfo(MIA_ID, "Rivera, Mia", date(2016, 7, 2), "9", "M0042117", "child", 31_250),
        PatientInfo(LEO_ID, "Rivera, Leo", date(2024, 1, 20), "22 mo", "M0042118", "child", 17_000),
    ),
    coverages=(
        CoverageInfo(
            MIA_ID,
            "Mia Rivera",
            1,
            "Cascade Health Plan",
            "commercial",
            "Cascade Silver PPO",
            "CHP88812345",
            "GRP-7710",
            "Ana Rivera",
            date(2025, 1, 1),
            None,
            datetime(2025, 9, 2, 16, 30, tzinfo=UTC),
            "x12_271",
        ),
        CoverageInfo(
            MIA_ID,
            "Mia Rivera",
            2,
            "Oregon Health Plan",
            "medicaid",
            "OHP Plus",
            "OHP0099123",
            None,
            "Mia Rivera",
            date(2024, 6, 1),
            None,
            None,
            None,
        ),
        CoverageInfo(
            LEO_ID,
            "Leo Rivera",
            1,
            "Cascade Health Plan",
            "commercial",
            "Cascade Silver PPO",
            "CHP88812346",
            "GRP-7710",
            "Ana Rivera",
            date(2025, 1, 1),
            None,
            None,
            None,
        ),
    ),
    balance_cents=48_250,
    pending_insurance_cents=125_000,
    last_payment_cents=5_000,
    last_payment_on=date(2025, 8, 14),
    oldest_open_charge_on=date(2025, 5, 3),
)


IDENTITY = IdentityRecord(
    account_number="A100234",
    people=(
        Person(GUARANTOR_ID, "Ana", "Rivera", date(1986, 3, 14), is_guarantor=True),
        Person(MIA_ID, "Mia", "Rivera", date(2016, 7, 2)),
        Person(LEO_ID, "Leo", "Rivera", date(2024, 1, 20)),
    ),
    addresses=("1200 NW Lovejoy St",),
    postal_codes=("97209",),
    phones_e164=("+15035550142",),
)


class FakeDesk:
    """Implements the Desk methods the GUI calls. Thread-safe, like the real one."""

    policy = DeskPolicy()

    database_label = "Fake · in memory"
    link = None  # no central database: sync shows "local only"
    idle_lock_minutes = 15
    needs_password = True
    password = "correct horse"

    def verify_password(self, password: str) -> None:
        from app.services.sync import SignInFailed

        if password != self.password:
            raise SignInFailed("The user name or password is not right.")

    def __init__(self, delay: Callable[[str], float] | None = None) -> None:
        self.user = UserInfo(uuid.uuid4(), "amorgan", "Alex Morgan", "agent")
        self._delay = delay or (lambda _text: 0.0)
        self._lock = threading.Lock()
        self.lookups: list[str] = []  # texts asked, in the order they were asked
        self.finished: list[str] = []  # texts answered, in the order they finished
        self.opened: list[uuid.UUID] = []
        self.cards: list[uuid.UUID] = []  # accounts shown masked (identity check first)
        self.checks: list[Answers] = []
        self.saved_calls: list[object] = []  # CallRecord snapshots, in the order saved
        self.closed = False

    def account_card(self, account_id: uuid.UUID) -> AccountCard:
        with self._lock:
            self.cards.append(account_id)
        if account_id != ACCOUNT_ID:
            raise LookupError(str(account_id))
        return AccountCard(ACCOUNT_ID, "A100234", "Ana Rivera", 2)

    def verify_caller(self, account_id: uuid.UUID, answers: Answers) -> Verification:
        with self._lock:
            self.checks.append(answers)
        return check_identity(answers, IDENTITY, self.policy.verification)

    def save_call(self, record: object) -> None:
        with self._lock:
            self.saved_calls.append(record)

    def lookup(self, text: str, limit: int = 20) -> LookupAnswer:
        with self._lock:
            self.lookups.append(text)
        started = time.perf_counter()
        delay = self._delay(text)
        if delay:
            time.sleep(delay)  # the fake's own latency, in a worker thread
        words = [w for w in text.lower().replace(",", " ").split() if w]
        digits = "".join(ch for ch in text if ch.isdigit())
        if len(digits) >= 10:  # a whole phone number: everyone with it on file
            results = tuple(r for r in PEOPLE if "".join(filter(str.isdigit, r.phone)) == digits)
        else:
            results = tuple(r for r in PEOPLE if words and all(w in r.name.lower() for w in words))[
                :limit
            ]
        hint = f"name: {text.strip()[:40]}" if words else ""
        with self._lock:
            self.finished.append(text)
        return LookupAnswer(
            text.strip()[:200], hint, results, (time.perf_counter() - started) * 1000
        )

    def account(self, account_id: uuid.UUID, patient_id: uuid.UUID | None = None) -> AccountDetail:
        with self._lock:
            self.opened.append(account_id)
        if account_id != ACCOUNT_ID:
            raise LookupError(str(account_id))
        return DETAIL

    def explainer(self, account_id: uuid.UUID) -> ExplainerView:
        """A small explained account built by the real domain rules (no database)."""
        if account_id != ACCOUNT_ID:
            raise LookupError(str(account_id))
        return fake_explainer_view()

    def close(self) -> None:
        self.closed = True


VISIT_ID = uuid.UUID("00000000-0000-4000-8000-0000000000aa")


def fake_explainer_view() -> ExplainerView:
    from app.domain.codes import ClaimStatus, LedgerKind
    from app.domain.explain import Adjustment, ClaimFacts, Entry, VisitFacts, explain_account
    from app.domain.words import account_summary, visit_script
    from app.services.explainer import BenefitsLine, ExplainerView, Reason

    day = date(2025, 3, 14)
    claim = ClaimFacts(
        uuid.uuid4(), "Summit PPO", 1, ClaimStatus.ADJUDICATED, 25_000, 18_000, 10_800,
        (Adjustment("CO", "45", 7_000), Adjustment("PR", "1", 4_000), Adjustment("PR", "2", 3_200)),
    )  # fmt: skip
    visit = VisitFacts(VISIT_ID, day, "Mia", "Dr. Lee", (claim,))
    entries = [
        Entry(LedgerKind.CHARGE, 25_000, day, VISIT_ID),
        Entry(LedgerKind.INSURANCE_PAYMENT, -10_800, day, VISIT_ID, claim.id),
        Entry(LedgerKind.CONTRACTUAL_ADJUSTMENT, -7_000, day, VISIT_ID, claim.id),
    ]
    explained = explain_account([visit], entries, date(2025, 11, 23))
    return ExplainerView(
        explained,
        {lang: account_summary(explained, lang) for lang in ("en", "es")},
        None,
        {VISIT_ID: {lang: visit_script(explained.visits[0], lang) for lang in ("en", "es")}},
        (
            BenefitsLine(
                "Mia",
                MIA_ID,
                "Summit PPO",
                date(2025, 11, 1),
                "x12_271",
                50_000,
                40_000,
                300_000,
                72_000,
            ),
        ),
        reasons={
            VISIT_ID: (
                Reason("CO", "45", 7_000, "more than the plan's agreed fee"),
                Reason("PR", "1", 4_000, "deductible"),
                Reason("PR", "2", 3_200, "coinsurance"),
            )
        },
    )
