"""Declines, returns, refunds of credits, write-offs with role limits, ledger corrections
and moving a visit back to insurance, on a real desk with its own sandbox gateway."""

from __future__ import annotations

import sqlite3
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import event, func, select

from app.domain.adjustments import AdjustmentLimits, AdjustmentReason
from app.domain.codes import LedgerKind, PaymentStatus, Role
from app.domain.payment_entry import parse_bank, parse_card
from app.services.adjustments import AdjustmentRefused, Adjustments
from app.services.desk import Desk
from app.services.payments import new_key
from app.services.views import UserInfo
from app.store.models import (
    AccountNote,
    AdjustmentRequest,
    AuditEvent,
    Coverage,
    LedgerEntry,
    Payment,
    Task,
    User,
)
from tests.support.desks import TODAY, accounts_with_due

LIMITS = AdjustmentLimits(agent_cents=500, lead_cents=1_500)  # small: demo balances fit


def _user(desk: Desk, username: str) -> UserInfo:
    with desk._sessions() as session:
        user = session.scalars(select(User).where(User.username == username)).one()
        return UserInfo(user.id, user.username, user.display_name, str(user.role))


def _as(desk: Desk, username: str, limits: object = None) -> Adjustments:
    return Adjustments(
        desk._sessions, _user(desk, username), desk.workstation, today=desk._today,
        limits=limits or (lambda: LIMITS),  # type: ignore[arg-type]
    )  # fmt: skip


@pytest.fixture
def agent(paying_desk: Desk) -> Adjustments:
    assert paying_desk.user.role == Role.AGENT
    return _as(paying_desk, paying_desk.user.username)


@pytest.fixture
def lead(paying_desk: Desk) -> Adjustments:
    return _as(paying_desk, "lead")


@pytest.fixture
def admin(paying_desk: Desk) -> Adjustments:
    return _as(paying_desk, "admin")


@pytest.fixture
def account(paying_desk: Desk) -> uuid.UUID:
    return accounts_with_due(paying_desk, 5_000)[0]


def _balance(desk: Desk, account_id: uuid.UUID) -> int:
    return desk.explain(account_id).balance


def _ledger_count(desk: Desk) -> int:
    with desk.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(LedgerEntry)) or 0)


@pytest.fixture
def ledger_writes(paying_desk: Desk) -> Iterator[list[str]]:
    """Every UPDATE or DELETE statement sent to the ledger table while the test runs."""
    seen: list[str] = []

    def watch(_conn, _cursor, statement, _params, _context, _many):  # type: ignore[no-untyped-def]
        text = " ".join(statement.split()).lower()
        if text.startswith(("update ledger_entry", "delete from ledger_entry")):
            seen.append(text)

    event.listen(paying_desk.engine, "before_cursor_execute", watch)
    yield seen
    event.remove(paying_desk.engine, "before_cursor_execute", watch)


# -- write-offs and approvals -------------------------------------------------------------


def test_an_agent_under_the_limit_posts_at_once(
    paying_desk: Desk, agent: Adjustments, account: uuid.UUID
) -> None:
    before = _balance(paying_desk, account)
    info = agent.request(
        account, amount_cents=400, reason=AdjustmentReason.SMALL_BALANCE, note="rounding"
    )
    assert info.posted and info.needs == "none" and info.ledger_entry_id is not None
    assert info.message.startswith("Posted: write-off of $4.00")
    assert _balance(paying_desk, account) == before - 400
    with paying_desk._sessions() as session:
        entry = session.get(LedgerEntry, info.ledger_entry_id)
        assert entry is not None
        assert entry.kind == LedgerKind.WRITE_OFF and entry.amount_cents == -400
        assert entry.posted_by_id == paying_desk.user.id
        assert entry.memo == "Small balance: rounding"
        assert entry.effective_date == TODAY


def test_over_the_limit_waits_for_a_lead_who_approves(
    paying_desk: Desk, agent: Adjustments, lead: Adjustments, account: uuid.UUID
) -> None:
    before, entries = _balance(paying_desk, account), _ledger_count(paying_desk)
    info = agent.request(
        account, amount_cents=1_200, reason=AdjustmentReason.COURTESY,
        kind=LedgerKind.PATIENT_ADJUSTMENT, note="long wait at the clinic",
    )  # fmt: skip
    assert info.pending and info.needs == "lead" and info.ledger_entry_id is None
    assert info.message == "Waiting for a lead's approval."
    assert _ledger_count(paying_desk) == entries  # nothing posted yet
    assert not info.can_decide and info.why_not == "A lead must approve this."
    with paying_desk._sessions() as session:
        audit = session.scalars(
            select(AuditEvent).where(AuditEvent.action == "adjustment.request")
        ).all()
        assert len(audit) == 1 and audit[0].account_id == account

    waiting = lead.pending()
    assert [w.id for w in waiting] == [info.id]
    shown = waiting[0]
    assert shown.can_decide and shown.account_number and shown.amount_cents == 1_200
    assert shown.requested_by == paying_desk.user.display_name
    assert shown.reason_label == "Courtesy" and shown.kind_label == "Adjustment"

    decided = lead.decide(info.id, approve=True)
    assert decided.posted and decided.decided_by == "Taylor Brooks"
    assert decided.decided_at is not None
    assert _balance(paying_desk, account) == before - 1_200
    assert lead.pending() == []
    with paying_desk._sessions() as session:
        entry = session.get(LedgerEntry, decided.ledger_entry_id)
        assert entry is not None and entry.kind == LedgerKind.PATIENT_ADJUSTMENT
        assert entry.amount_cents == -1_200 and entry.posted_by_id == lead.user.id
        assert (entry.memo or "").startswith("Courtesy: long wait")

    with pytest.raises(AdjustmentRefused, match="already approved"):
        lead.decide(info.id, approve=False)
    assert _balance(paying_desk, account) == before - 1_200


def test_an_agent_cannot_approve(paying_desk: Desk, agent: Adjustments, account: uuid.UUID) -> None:
    info = agent.request(account, amount_cents=900, reason=AdjustmentReason.BILLING_ERROR)
    other_agent = _as(paying_desk, "agent2")
    with pytest.raises(AdjustmentRefused, match="A lead must approve this"):
        other_agent.decide(info.id, approve=True)
    with pytest.raises(AdjustmentRefused, match="A lead must approve this"):
        agent.decide(info.id, approve=True)
    assert agent.pending()[0].status == "pending"


def test_a_rejection_posts_nothing_and_is_final(
    paying_desk: Desk, agent: Adjustments, lead: Adjustments, account: uuid.UUID
) -> None:
    entries = _ledger_count(paying_desk)
    info = agent.request(account, amount_cents=900, reason=AdjustmentReason.COURTESY)
    rejected = lead.decide(info.id, approve=False, note="offer a plan instead")
    assert rejected.status == "rejected" and rejected.decided_by == "Taylor Brooks"
    assert "offer a plan instead" in rejected.note
    assert _ledger_count(paying_desk) == entries
    with pytest.raises(AdjustmentRefused, match="already rejected"):
        lead.decide(info.id, approve=True)


def test_nobody_approves_their_own_request(paying_desk: Desk, account: uuid.UUID) -> None:
    limits = [LIMITS]
    lead = _as(paying_desk, "lead", lambda: limits[0])
    info = lead.request(account, amount_cents=1_600, reason=AdjustmentReason.COURTESY)
    assert info.needs == "admin"
    limits[0] = AdjustmentLimits(agent_cents=500, lead_cents=5_000)  # policy raised since
    with pytest.raises(AdjustmentRefused, match="your own request"):
        lead.decide(info.id, approve=True)


def test_above_the_lead_limit_goes_to_an_admin(
    paying_desk: Desk, lead: Adjustments, admin: Adjustments, account: uuid.UUID
) -> None:
    before = _balance(paying_desk, account)
    info = lead.request(account, amount_cents=2_000, reason=AdjustmentReason.BAD_DEBT)
    assert info.pending and info.needs == "admin"
    assert info.message == "Waiting for an administrator's approval."
    other_lead = Adjustments(
        paying_desk._sessions, UserInfo(uuid.uuid4(), "x", "Other Lead", "lead"),
        paying_desk.workstation, today=paying_desk._today, limits=lambda: LIMITS,
    )  # fmt: skip
    with pytest.raises(AdjustmentRefused, match="An administrator must approve this"):
        other_lead.decide(info.id, approve=True)
    assert admin.decide(info.id, approve=True).posted
    assert _balance(paying_desk, account) == before - 2_000
    # An admin posts any amount at once.
    assert admin.request(account, amount_cents=2_500, reason=AdjustmentReason.BAD_DEBT).posted


def test_approval_rechecks_what_is_due(
    paying_desk: Desk, agent: Adjustments, lead: Adjustments, account: uuid.UUID
) -> None:
    info = agent.request(account, amount_cents=1_000, reason=AdjustmentReason.COURTESY)
    due = paying_desk.explain(account).due_now
    paying_desk.post_entry(account, LedgerKind.PATIENT_PAYMENT, -(due - 500), memo="cash")
    with pytest.raises(AdjustmentRefused, match=r"\$5.00 due now"):
        lead.decide(info.id, approve=True)
    assert lead.pending()[0].id == info.id  # still waiting: a lead may reject it


@pytest.mark.parametrize(
    ("amount", "note", "words"),
    [
        (0, "", "more than zero"),
        (-100, "", "more than zero"),
        (100, "x" * 201, "at most 200 characters"),
    ],
)
def test_refused_requests(
    agent: Adjustments, account: uuid.UUID, amount: int, note: str, words: str
) -> None:
    with pytest.raises(AdjustmentRefused, match=words):
        agent.request(account, amount_cents=amount, reason=AdjustmentReason.COURTESY, note=note)


def test_no_more_than_is_due(paying_desk: Desk, agent: Adjustments, account: uuid.UUID) -> None:
    explanation = paying_desk.explain(account)
    with pytest.raises(AdjustmentRefused, match="cannot be larger"):
        agent.request(
            account, amount_cents=explanation.due_now + 1, reason=AdjustmentReason.COURTESY
        )
    visit = next(v for v in explanation.visits if v.due_now > 0)
    with pytest.raises(AdjustmentRefused, match="The visit has"):
        agent.request(
            account, amount_cents=visit.owed + 1, reason=AdjustmentReason.COURTESY,
            encounter_id=visit.id,
        )  # fmt: skip
    posted = agent.request(
        account, amount_cents=min(visit.owed, 500), reason=AdjustmentReason.COURTESY,
        encounter_id=visit.id,
    )  # fmt: skip
    assert posted.posted and posted.visit_date == visit.service_date
    after = next(v for v in paying_desk.explain(account).visits if v.id == visit.id)
    assert after.owed == visit.owed - min(visit.owed, 500)
    assert agent.requests(account)[0].id == posted.id


def test_limit_sentences(paying_desk: Desk) -> None:
    assert _as(paying_desk, "agent").limit_text() == (
        "You can post up to $5.00; more goes to a lead."
    )
    assert _as(paying_desk, "lead").limit_text() == (
        "You can post up to $15.00; more goes to an administrator."
    )
    assert _as(paying_desk, "admin").limit_text() == "You can post any amount."
    assert "goes to a lead" in _as(paying_desk, "trainee").limit_text()


# -- corrections ---------------------------------------------------------------------------


def test_a_correction_is_a_reversal_plus_a_new_entry(
    paying_desk: Desk,
    agent: Adjustments,
    lead: Adjustments,
    account: uuid.UUID,
    ledger_writes: list[str],
) -> None:
    visit = next(v for v in paying_desk.explain(account).visits if v.due_now >= 500)
    posted = agent.request(
        account, amount_cents=500, reason=AdjustmentReason.SMALL_BALANCE, encounter_id=visit.id
    )
    assert posted.ledger_entry_id is not None
    before, entries = _balance(paying_desk, account), _ledger_count(paying_desk)
    with paying_desk._sessions() as session:
        original = session.get(LedgerEntry, posted.ledger_entry_id)
        assert original is not None
        snapshot = (original.kind, original.amount_cents, original.memo, original.encounter_id)

    with pytest.raises(AdjustmentRefused, match="lead or an administrator"):
        agent.correct(posted.ledger_entry_id, 300, "typed the wrong amount")
    with pytest.raises(AdjustmentRefused, match="Say why"):
        lead.correct(posted.ledger_entry_id, 300, "  ")
    done = lead.correct(posted.ledger_entry_id, 300, "typed the wrong amount")
    assert done.new_entry_id is not None

    assert _ledger_count(paying_desk) == entries + 2
    assert _balance(paying_desk, account) == before + 500 - 300
    with paying_desk._sessions() as session:
        reversal = session.get(LedgerEntry, done.reversal_id)
        fresh = session.get(LedgerEntry, done.new_entry_id)
        original = session.get(LedgerEntry, posted.ledger_entry_id)
        assert reversal is not None and fresh is not None and original is not None
        assert reversal.kind == LedgerKind.REVERSAL
        assert reversal.reverses_id == original.id and reversal.amount_cents == 500
        assert fresh.kind == LedgerKind.WRITE_OFF and fresh.amount_cents == -300
        assert fresh.encounter_id == visit.id == reversal.encounter_id
        assert (original.kind, original.amount_cents, original.memo, original.encounter_id) == (
            snapshot
        )
    assert ledger_writes == []  # append-only: nothing updated or deleted

    shown = {e.id: e for e in lead.entries(account)}
    assert shown[posted.ledger_entry_id].reversed
    assert not shown[posted.ledger_entry_id].correctable
    assert shown[done.reversal_id].reverses_id == posted.ledger_entry_id
    assert not shown[done.reversal_id].correctable
    assert shown[done.new_entry_id].correctable

    with pytest.raises(AdjustmentRefused, match="already reversed"):
        lead.correct(posted.ledger_entry_id, None, "again")
    with pytest.raises(AdjustmentRefused, match="A reversal cannot be reversed"):
        lead.correct(done.reversal_id, None, "undo the undo")
    undone = lead.correct(done.new_entry_id, None, "no write-off after all")
    assert undone.new_entry_id is None
    assert _balance(paying_desk, account) == before + 500
    assert ledger_writes == []


def test_payer_and_gateway_postings_are_not_corrected_here(
    paying_desk: Desk, lead: Adjustments, account: uuid.UUID
) -> None:
    entries = lead.entries(account)
    insurance = [e for e in entries if e.kind == LedgerKind.INSURANCE_PAYMENT]
    assert insurance and all(not e.correctable for e in insurance)
    with pytest.raises(AdjustmentRefused, match="payer's reversal"):
        lead.correct(insurance[0].id, None, "wrong")


# -- back to insurance ---------------------------------------------------------------------


def _rebill_case(desk: Desk, adjustments: Adjustments) -> tuple[uuid.UUID, uuid.UUID, uuid.UUID]:
    """An account, one of its visits due now, and a coverage of that visit's patient in
    effect on its date."""
    for account_id in accounts_with_due(desk, 1_000):
        visits, coverages = adjustments.rebill_choices(account_id)
        for visit in visits:
            if visit.with_insurance or visit.owed_cents <= 0:
                continue
            for coverage in coverages:
                if (
                    coverage.patient_id == visit.patient_id
                    and coverage.effective_from <= (visit.service_date)
                    and (
                        coverage.effective_to is None or coverage.effective_to >= visit.service_date
                    )
                ):
                    return account_id, visit.encounter_id, coverage.id
    raise AssertionError("the demo has no visit due now with a coverage")


def test_rebill_moves_the_visit_back_to_insurance(paying_desk: Desk, agent: Adjustments) -> None:
    account_id, visit_id, coverage_id = _rebill_case(paying_desk, agent)
    before = paying_desk.explain(account_id)
    owed = next(v for v in before.visits if v.id == visit_id).owed
    entries = _ledger_count(paying_desk)

    info = agent.rebill_to_insurance(account_id, visit_id, coverage_id)
    assert info.control_number.startswith("RB") and info.billed_cents > 0

    after = paying_desk.explain(account_id)
    visit = next(v for v in after.visits if v.id == visit_id)
    assert visit.with_insurance and visit.due_now == 0
    assert after.balance == before.balance  # no money moved
    assert after.with_insurance == before.with_insurance + owed
    assert after.due_now == before.due_now - owed
    assert _ledger_count(paying_desk) == entries
    with paying_desk._sessions() as session:
        note = session.scalars(
            select(AccountNote).where(AccountNote.account_id == account_id)
            .order_by(AccountNote.written_at.desc())
        ).first()  # fmt: skip
        assert note is not None and info.control_number in note.body
        assert session.scalars(
            select(AuditEvent).where(AuditEvent.action == "claim.rebill")
        ).first()

    with pytest.raises(AdjustmentRefused, match="already has a claim waiting"):
        agent.rebill_to_insurance(account_id, visit_id, coverage_id)
    # A write-off of a visit with insurance is refused: it is not the patient's yet.
    with pytest.raises(AdjustmentRefused, match="still with insurance"):
        agent.request(
            account_id, amount_cents=100, reason=AdjustmentReason.COURTESY, encounter_id=visit_id
        )


def test_rebill_refuses_another_patients_coverage(paying_desk: Desk, agent: Adjustments) -> None:
    account_id, visit_id, coverage_id = _rebill_case(paying_desk, agent)
    with paying_desk._sessions() as session:
        patient = session.get(Coverage, coverage_id).patient_id  # type: ignore[union-attr]
        other = session.scalars(select(Coverage.id).where(Coverage.patient_id != patient)).first()
    assert other is not None
    with pytest.raises(AdjustmentRefused, match="another patient"):
        agent.rebill_to_insurance(account_id, visit_id, other)
    with pytest.raises(AdjustmentRefused, match="not on this account"):
        agent.rebill_to_insurance(uuid.uuid4(), visit_id, coverage_id)


# -- declines, returns, refunds (the payments service these tools work with) ----------------


def _card(number: str):  # type: ignore[no-untyped-def]
    return parse_card(number, "12/30", "123", "97201", "Pat Payer", today=TODAY)


def test_a_declined_card_is_listed_until_reprocessed(paying_desk: Desk, account: uuid.UUID) -> None:
    payments = paying_desk.payments
    declined = payments.take(account, 2_000, _card("4000000000000002"), new_key())
    assert declined.status == "declined"
    listed = [p for p in payments.declined() if p.id == declined.payment_id]
    assert len(listed) == 1
    row = listed[0]
    assert row.account_id == account and row.account_number and row.payer_name
    assert row.amount_cents == 2_000 and row.message and "0002" in row.method_label

    again = payments.take(
        account, 2_000, _card("4242424242424242"), new_key(), retry_of_id=declined.payment_id
    )
    assert again.approved
    assert all(p.id != declined.payment_id for p in payments.declined())


def test_a_returned_ach_payment_is_reversed_once(paying_desk: Desk, account: uuid.UUID) -> None:
    payments = paying_desk.payments
    before = _balance(paying_desk, account)
    bank = parse_bank("110000000", "000111111116", "checking", "Pat Payer")
    paid = payments.take(account, 3_000, bank, new_key())
    assert paid.approved and _balance(paying_desk, account) == before - 3_000

    assert payments.process_returns() == 1
    assert _balance(paying_desk, account) == before
    entries = _ledger_count(paying_desk)
    with paying_desk._sessions() as session:
        payment = session.get(Payment, paid.payment_id)
        assert payment is not None and payment.status == PaymentStatus.RETURNED
        assert payment.ach_return_code == "R01"
        tasks = session.scalars(
            select(Task).where(Task.account_id == account, Task.kind == "ach_return")
        ).all()
        assert len(tasks) == 1
    assert any(p.id == paid.payment_id for p in payments.declined())

    assert payments.process_returns() == 0  # a second run changes nothing
    assert _balance(paying_desk, account) == before
    assert _ledger_count(paying_desk) == entries
    with paying_desk._sessions() as session:
        assert (
            session.scalar(select(func.count()).select_from(Task).where(Task.kind == "ach_return"))
            == 1
        )


def _gateway_refunds(path: Path) -> int:
    with sqlite3.connect(path) as db:
        return int(db.execute("SELECT COUNT(*) FROM operation WHERE op = 'refund'").fetchone()[0])


def test_a_credit_is_refunded_once(paying_desk: Desk, account: uuid.UUID) -> None:
    payments = paying_desk.payments
    balance = _balance(paying_desk, account)
    paid = payments.take(
        account, balance + 2_500, _card("4242424242424242"), new_key(), allow_overpayment=True
    )
    assert paid.approved
    credit = -_balance(paying_desk, account)
    assert credit == 2_500

    key = new_key()
    refund = payments.refund_credit(account, credit, key)
    assert refund.approved
    again = payments.refund_credit(account, credit, key)
    assert again.payment_id == refund.payment_id and again.approved

    assert _balance(paying_desk, account) == 0
    with paying_desk._sessions() as session:
        refunds = session.scalars(
            select(LedgerEntry).where(
                LedgerEntry.account_id == account, LedgerEntry.kind == LedgerKind.REFUND,
                LedgerEntry.payment_id == refund.payment_id,
            )
        ).all()  # fmt: skip
        assert [r.amount_cents for r in refunds] == [credit]
    gateway_path = getattr(paying_desk.gateway, "path")  # noqa: B009
    assert _gateway_refunds(gateway_path) == 1


def test_nothing_here_writes_adjustment_rows_without_the_outbox(
    paying_desk: Desk, agent: Adjustments, account: uuid.UUID
) -> None:
    from app.store.models import OutboxItem

    with paying_desk.engine.connect() as conn:
        before = conn.scalar(select(func.count()).select_from(OutboxItem))
    agent.request(account, amount_cents=900, reason=AdjustmentReason.COURTESY)
    with paying_desk.engine.connect() as conn:
        after = conn.scalar(select(func.count()).select_from(OutboxItem))
        kinds = conn.scalars(select(AdjustmentRequest.status)).all()
    assert kinds == ["pending"]
    assert (after or 0) > (before or 0)
