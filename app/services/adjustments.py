"""Write-offs, adjustments, ledger corrections and moving a visit back to insurance.

Who may lower what a patient owes is central policy (:mod:`app.domain.adjustments`): an
agent posts up to the agent limit at once, a lead up to the lead limit, an admin any
amount; a larger request waits (``adjustment_request``, status ``pending``) for someone
whose limit covers it, and that person approves or rejects it. Nobody approves their own.

The ledger is append-only. A mistake is corrected by a reversal (``reverses_id`` names
the entry, the amount undoes it) plus, when there is a right amount, a new entry of the
same kind for the same visit: :meth:`Adjustments.correct`. Ledger entry ids made here are
derived from what they post (the request, the entry reversed), so the same posting made
twice, by a double click, a race or two desks that sync, is refused by the primary key
instead of moving the balance twice.

Everything is written through the desk's tracked session, so every row syncs. Messages
of :class:`AdjustmentRefused` are sentences for the agent and carry no PHI.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from app.domain.adjustments import (
    AdjustmentLimits,
    AdjustmentReason,
    Approval,
    approval_needed,
    can_approve,
)
from app.domain.codes import ClaimStatus, LedgerKind, Role
from app.domain.explain import AccountExplanation, VisitExplanation, explain_account
from app.domain.ledger import LOWERS, RAISES, InvalidPosting, check_posting
from app.domain.money import format_usd
from app.services.errors import DeskError
from app.services.views import UserInfo
from app.store.explain import explain_facts
from app.store.models import (
    AccountNote,
    AdjustmentRequest,
    AuditEvent,
    Claim,
    Coverage,
    Encounter,
    GuarantorAccount,
    LedgerEntry,
    Patient,
    User,
)
from app.store.types import utcnow

MAX_NOTE_CHARS = 200
ENTRIES_SHOWN = 200
_IDS = uuid.UUID("3d0f6b1e-8a7c-4f25-b6d4-52c9e07a1b63")  # namespace for derived entry ids

PENDING = "pending"
POSTED = "posted"
REJECTED = "rejected"

# The kinds a request may post: reductions granted to the patient.
REQUEST_KINDS = (LedgerKind.WRITE_OFF, LedgerKind.PATIENT_ADJUSTMENT)
_REDUCTIONS = frozenset(REQUEST_KINDS)

KIND_LABELS: dict[LedgerKind, str] = {
    LedgerKind.CHARGE: "Charge",
    LedgerKind.INSURANCE_PAYMENT: "Insurance payment",
    LedgerKind.CONTRACTUAL_ADJUSTMENT: "Contractual adjustment",
    LedgerKind.PATIENT_PAYMENT: "Patient payment",
    LedgerKind.PATIENT_ADJUSTMENT: "Adjustment",
    LedgerKind.REFUND: "Refund",
    LedgerKind.WRITE_OFF: "Write-off",
    LedgerKind.TRANSFER: "Transfer",
    LedgerKind.REVERSAL: "Reversal",
}
_WAITING = {
    Approval.LEAD: "Waiting for a lead's approval",
    Approval.ADMIN: "Waiting for an administrator's approval",
}


class AdjustmentRefused(DeskError):
    """The desk will not make this adjustment, correction or rebill (the message, one
    sentence for the agent, says why). ``field`` names the form field it is about
    (``amount``, ``reason``, ``kind``, ``visit``, ``note``, ``coverage``), or is ""."""

    def __init__(self, message: str, field: str = "") -> None:
        super().__init__(message)
        self.field = field


def kind_label(kind: str) -> str:
    try:
        return KIND_LABELS[LedgerKind(kind)]
    except ValueError:
        return kind.replace("_", " ").capitalize()


def reason_label(reason: str) -> str:
    try:
        return AdjustmentReason(reason).label
    except ValueError:
        return reason.replace("_", " ").capitalize()


@dataclass(frozen=True)
class AdjustmentInfo:
    """A write-off or adjustment request as the agent and the lead see it."""

    id: uuid.UUID
    account_id: uuid.UUID
    account_number: str
    payer_name: str  # the guarantor
    encounter_id: uuid.UUID | None
    visit_date: date | None  # None: the whole account
    kind: str  # write_off or patient_adjustment
    reason: str
    amount_cents: int  # the reduction, positive
    note: str
    status: str  # pending, posted, rejected
    needs: str  # none, lead, admin
    requested_by: str  # display name
    requested_by_id: uuid.UUID | None
    requested_at: datetime
    decided_by: str
    decided_at: datetime | None
    ledger_entry_id: uuid.UUID | None
    message: str  # one sentence: "Posted: ...", "Waiting for a lead's approval", ...
    can_decide: bool = False  # whether the desk's user may approve or reject it now
    why_not: str = ""  # why not, as a sentence, when can_decide is False

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)

    @property
    def reason_label(self) -> str:
        return reason_label(self.reason)

    @property
    def posted(self) -> bool:
        return self.status == POSTED

    @property
    def pending(self) -> bool:
        return self.status == PENDING


@dataclass(frozen=True)
class EntryInfo:
    """A ledger entry as the correction list shows it (newest first)."""

    id: uuid.UUID
    effective_date: date
    posted_at: datetime
    kind: str
    amount_cents: int  # as posted: charges positive, payments and adjustments negative
    memo: str
    encounter_id: uuid.UUID | None
    visit_date: date | None
    patient: str  # first name of the visit's patient, "" for the whole account
    reversed: bool  # a later reversal undoes it
    reverses_id: uuid.UUID | None  # set on a reversal
    correctable: bool
    why_not: str  # why it cannot be corrected here, "" when it can

    @property
    def kind_label(self) -> str:
        return kind_label(self.kind)


@dataclass(frozen=True)
class CorrectionInfo:
    reversal_id: uuid.UUID
    new_entry_id: uuid.UUID | None
    message: str


@dataclass(frozen=True)
class VisitChoice:
    """A visit of the account, for the rebill dialog."""

    encounter_id: uuid.UUID
    service_date: date
    patient: str  # first name
    patient_id: uuid.UUID | None
    provider: str
    billed_cents: int
    owed_cents: int
    with_insurance: bool

    @property
    def label(self) -> str:
        where = "with insurance" if self.with_insurance else f"{format_usd(self.owed_cents)} owed"
        return f"{self.service_date:%m/%d/%Y} {self.patient}, {self.provider} ({where})"


@dataclass(frozen=True)
class CoverageChoice:
    """A coverage of one of the account's patients, for the rebill dialog."""

    id: uuid.UUID
    patient_id: uuid.UUID
    patient_name: str
    payer_name: str
    plan_name: str
    member_id: str
    priority: int
    effective_from: date
    effective_to: date | None

    @property
    def label(self) -> str:
        return f"{self.patient_name}: {self.payer_name}, {self.plan_name} ({self.member_id})"


@dataclass(frozen=True)
class RebillInfo:
    claim_id: uuid.UUID
    control_number: str
    encounter_id: uuid.UUID
    billed_cents: int
    message: str


class Adjustments:
    """The desk's write-off, correction and rebill use cases. Every method is safe from
    worker threads (each call takes its own session)."""

    def __init__(
        self,
        sessions: sessionmaker[Session],
        user: UserInfo,
        workstation: str,
        *,
        today: Callable[[], date] = date.today,
        limits: Callable[[], AdjustmentLimits] = AdjustmentLimits,
    ) -> None:
        self.sessions = sessions
        self.user = user
        self.workstation = workstation
        self._today = today
        self._limits = limits

    # -- what the desk's user may do ---------------------------------------------------

    def own_limit_cents(self) -> int | None:
        """The largest reduction the desk's user posts without approval (None: any)."""
        limits = self._limits()
        role = Role(self.user.role)
        if role is Role.ADMIN:
            return None
        if role is Role.LEAD:
            return limits.lead_cents
        if role is Role.AGENT:
            return limits.agent_cents
        return 0

    def limit_text(self) -> str:
        """The user's limit in one sentence, for the adjust dialog."""
        limit = self.own_limit_cents()
        role = Role(self.user.role)
        if limit is None:
            return "You can post any amount."
        if role is Role.TRAINEE or limit == 0:
            return "Every write-off or adjustment you ask for goes to a lead."
        above = "an administrator" if role is Role.LEAD else "a lead"
        return f"You can post up to {format_usd(limit)}; more goes to {above}."

    def can_approve_any(self) -> bool:
        """Whether the desk's user approves requests at all (leads and admins)."""
        return Role(self.user.role) in (Role.LEAD, Role.ADMIN)

    def can_correct(self) -> bool:
        return Role(self.user.role) in (Role.LEAD, Role.ADMIN)

    # -- write-offs and adjustments ----------------------------------------------------

    def request(
        self,
        account_id: uuid.UUID,
        *,
        amount_cents: int,
        reason: AdjustmentReason | str,
        kind: LedgerKind = LedgerKind.WRITE_OFF,
        encounter_id: uuid.UUID | None = None,
        note: str = "",
    ) -> AdjustmentInfo:
        """Lower what the account owes by ``amount_cents`` (positive), for the whole
        account or one visit. Within the user's limit it is posted now; above it, it is
        stored waiting for a lead (or an admin) and audited."""
        reason = _reason(reason)
        kind = _request_kind(kind)
        _check_amount(amount_cents)
        text = _note(note)
        limits = self._limits()
        with self.sessions.begin() as session:
            account = session.get(GuarantorAccount, account_id)
            if account is None:
                raise AdjustmentRefused("No such account.")
            # What this user already took off this account today counts: a limit cannot
            # be stepped round in small pieces.
            today_so_far = _posted_today_by(session, account_id, self.user.id)
            needs = approval_needed(self.user.role, amount_cents + today_so_far, limits)
            _check_room(session, account_id, encounter_id, amount_cents, self._today())
            request = AdjustmentRequest(
                id=uuid.uuid4(), account_id=account_id, encounter_id=encounter_id, kind=kind,
                reason=reason.value, amount_cents=amount_cents, note=text or None,
                status=PENDING, needs=needs.value, requested_by_id=self.user.id,
                requested_at=utcnow(),
            )  # fmt: skip
            session.add(request)
            session.flush()
            if needs is Approval.NONE:
                self._post(session, request, self.user)
                self._audit(session, "adjustment.post", account_id, request)
            else:
                self._audit(session, "adjustment.request", account_id, request)
            session.flush()
            return _info(session, request, self.user, limits)

    def pending(self) -> list[AdjustmentInfo]:
        """Requests waiting for approval, oldest first, each saying whether the desk's
        user may decide it."""
        limits = self._limits()
        with self.sessions() as session:
            rows = session.scalars(
                select(AdjustmentRequest)
                .where(AdjustmentRequest.status == PENDING)
                .order_by(AdjustmentRequest.requested_at, AdjustmentRequest.id)
                .limit(500)
            ).all()
            return [_info(session, r, self.user, limits) for r in rows]

    def requests(self, account_id: uuid.UUID) -> list[AdjustmentInfo]:
        """The account's requests, newest first (posted, waiting and rejected)."""
        limits = self._limits()
        with self.sessions() as session:
            rows = session.scalars(
                select(AdjustmentRequest)
                .where(AdjustmentRequest.account_id == account_id)
                .order_by(AdjustmentRequest.requested_at.desc())
                .limit(100)
            ).all()
            return [_info(session, r, self.user, limits) for r in rows]

    def decide(self, request_id: uuid.UUID, approve: bool, note: str = "") -> AdjustmentInfo:
        """Approve (post the entry now) or reject a waiting request. Only someone whose
        limit covers the amount, never the person who asked, and only once."""
        text = _note(note)
        limits = self._limits()
        try:
            with self.sessions.begin() as session:
                request = session.scalars(
                    select(AdjustmentRequest)
                    .where(AdjustmentRequest.id == request_id)
                    .with_for_update()
                ).first()
                if request is None:
                    raise AdjustmentRefused("No such request.")
                why = _why_not(request, self.user, limits)
                if why:
                    raise AdjustmentRefused(why)
                if approve:
                    _check_room(
                        session, request.account_id, request.encounter_id,
                        request.amount_cents, self._today(), waiting=True,
                    )  # fmt: skip
                    self._post(session, request, self.user, decision_note=text)
                else:
                    request.status = REJECTED
                    if text:
                        request.note = _join(request.note, f"Rejected: {text}")
                request.decided_by_id = self.user.id
                request.decided_at = utcnow()
                action = "adjustment.approve" if approve else "adjustment.reject"
                self._audit(session, action, request.account_id, request)
                session.flush()
                return _info(session, request, self.user, limits)
        except IntegrityError as exc:
            # Another desk or thread posted this request's entry first.
            raise AdjustmentRefused("This request was already decided.") from exc

    # -- corrections -------------------------------------------------------------------

    def entries(self, account_id: uuid.UUID, limit: int = ENTRIES_SHOWN) -> list[EntryInfo]:
        """The account's recent ledger entries, newest first, for the correction list."""
        with self.sessions() as session:
            rows = session.execute(
                select(LedgerEntry, Encounter.date_of_service, Patient.first_name)
                .outerjoin(Encounter, Encounter.id == LedgerEntry.encounter_id)
                .outerjoin(Patient, Patient.id == Encounter.patient_id)
                .where(LedgerEntry.account_id == account_id)
                .order_by(LedgerEntry.posted_at.desc(), LedgerEntry.id)
                .limit(limit)
            ).all()
            ids = [entry.id for entry, _, _ in rows]
            reversed_ids = set(
                session.scalars(
                    select(LedgerEntry.reverses_id).where(LedgerEntry.reverses_id.in_(ids))
                )
            ) if ids else set()  # fmt: skip
            out = []
            for entry, on, first in rows:
                is_reversed = entry.id in reversed_ids
                why = _why_not_correctable(entry, is_reversed)
                out.append(
                    EntryInfo(
                        id=entry.id, effective_date=entry.effective_date,
                        posted_at=entry.posted_at, kind=str(entry.kind),
                        amount_cents=entry.amount_cents, memo=entry.memo or "",
                        encounter_id=entry.encounter_id, visit_date=on, patient=first or "",
                        reversed=is_reversed, reverses_id=entry.reverses_id,
                        correctable=not why, why_not=why,
                    )
                )  # fmt: skip
            return out

    def correct(
        self, entry_id: uuid.UUID, new_amount_cents: int | None, reason_note: str
    ) -> CorrectionInfo:
        """Undo a ledger entry and, when ``new_amount_cents`` is given, post the right
        amount instead: a reversal (``reverses_id`` = the entry, amount = minus the
        original) and a new entry of the same kind for the same visit. Nothing is updated
        or deleted. ``new_amount_cents`` is the size of the corrected entry (positive);
        its sign follows the kind, as the original's did. Leads and admins only."""
        if not self.can_correct():
            raise AdjustmentRefused("Only a lead or an administrator can correct the ledger.")
        note = (reason_note or "").strip()
        if not note:
            raise AdjustmentRefused("Say why the entry is corrected.", "note")
        if len(note) > MAX_NOTE_CHARS:
            raise AdjustmentRefused(
                f"The reason holds at most {MAX_NOTE_CHARS} characters.", "note"
            )
        if new_amount_cents is not None:
            _check_amount(new_amount_cents)
        limits = self._limits()
        try:
            with self.sessions.begin() as session:
                entry = session.get(LedgerEntry, entry_id)
                if entry is None:
                    raise AdjustmentRefused("No such ledger entry.")
                already = session.scalar(
                    select(LedgerEntry.id).where(LedgerEntry.reverses_id == entry.id).limit(1)
                )
                why = _why_not_correctable(entry, already is not None)
                if why:
                    raise AdjustmentRefused(why)
                kind = LedgerKind(entry.kind)
                new_signed: int | None = None
                if new_amount_cents is not None:
                    new_signed = _signed(kind, new_amount_cents, entry.amount_cents)
                    if new_signed == entry.amount_cents:
                        raise AdjustmentRefused(
                            "The new amount is the same as the entry's: nothing to correct.",
                            "amount",
                        )
                    if kind in _REDUCTIONS:
                        if not can_approve(self.user.role, new_amount_cents, limits):
                            raise AdjustmentRefused(
                                "An administrator must post a reduction this large.", "amount"
                            )
                        grows = new_amount_cents - abs(entry.amount_cents)
                        if grows > 0:
                            _check_room(
                                session, entry.account_id, entry.encounter_id, grows,
                                self._today(),
                            )  # fmt: skip
                # How much lower the balance ends up: a charge undone or made smaller is
                # a reduction like a write-off, under the same limits.
                after = new_signed if new_signed is not None else 0
                lowered = entry.amount_cents - after
                if lowered > 0 and not can_approve(self.user.role, lowered, limits):
                    raise AdjustmentRefused(
                        f"This lowers the balance by {format_usd(lowered)}, beyond your "
                        "limit: an administrator must make this correction.",
                        "amount",
                    )
                reversal = LedgerEntry(
                    id=uuid.uuid5(_IDS, f"{entry.id.hex}:reversal"),
                    account_id=entry.account_id, patient_id=entry.patient_id,
                    encounter_id=entry.encounter_id, claim_id=entry.claim_id,
                    reverses_id=entry.id, kind=LedgerKind.REVERSAL,
                    amount_cents=-entry.amount_cents, effective_date=self._today(),
                    posted_at=utcnow(), posted_by_id=self.user.id,
                    memo=f"Reversal: {note}"[:200],
                )  # fmt: skip
                _checked(reversal, reverses=True)
                session.add(reversal)
                new_id: uuid.UUID | None = None
                if new_signed is not None:
                    replacement = LedgerEntry(
                        id=uuid.uuid5(_IDS, f"{entry.id.hex}:corrected"),
                        account_id=entry.account_id, patient_id=entry.patient_id,
                        encounter_id=entry.encounter_id, claim_id=entry.claim_id, kind=kind,
                        amount_cents=new_signed, effective_date=self._today(),
                        posted_at=utcnow(), posted_by_id=self.user.id,
                        memo=f"Correction: {note}"[:200],
                    )  # fmt: skip
                    _checked(replacement)
                    session.add(replacement)
                    new_id = replacement.id
                session.add(
                    AuditEvent(
                        occurred_at=utcnow(), user_id=self.user.id, workstation=self.workstation,
                        action="ledger.correct", account_id=entry.account_id,
                        detail=f"entry {entry.id.hex[:8]} reversed"
                        + (f", {kind.value} {new_signed} posted" if new_signed else ""),
                    )
                )  # fmt: skip
                session.flush()
                reversal_id, undone = reversal.id, reversal.amount_cents
        except IntegrityError as exc:
            raise AdjustmentRefused("This entry was already reversed.") from exc
        if new_signed is None:
            message = f"Reversed: {format_usd(undone)} posted to undo the entry."
        else:
            message = (
                f"Corrected: the entry was reversed and {format_usd(new_signed)} posted "
                "in its place."
            )
        return CorrectionInfo(reversal_id, new_id, message)

    # -- back to insurance --------------------------------------------------------------

    def rebill_choices(
        self, account_id: uuid.UUID
    ) -> tuple[list[VisitChoice], list[CoverageChoice]]:
        """The account's visits (newest first) and its patients' coverages, with ids."""
        with self.sessions() as session:
            explanation = _explain(session, account_id, self._today())
            visits = [
                VisitChoice(
                    v.id,
                    v.service_date,
                    v.patient,
                    v.patient_id,
                    v.provider,
                    v.billed,
                    v.owed,
                    v.with_insurance,
                )
                for v in sorted(explanation.visits, key=lambda v: v.service_date, reverse=True)
            ]
            rows = session.execute(
                select(Coverage, Patient.first_name, Patient.last_name)
                .join(Patient, Patient.id == Coverage.patient_id)
                .where(Patient.account_id == account_id)
                .order_by(Patient.last_name, Patient.first_name, Coverage.priority)
            ).all()
            coverages = [
                CoverageChoice(
                    c.id,
                    c.patient_id,
                    f"{first} {last}".strip(),
                    c.payer.name,
                    c.plan_name,
                    c.member_id,
                    c.priority,
                    c.effective_from,
                    c.effective_to,
                )
                for c, first, last in rows
            ]
            return visits, coverages

    def rebill_to_insurance(
        self, account_id: uuid.UUID, encounter_id: uuid.UUID, coverage_id: uuid.UUID
    ) -> RebillInfo:
        """New coverage was found: send the visit to that insurance again.

        A new claim (status submitted, this coverage, billed = the visit's charges, a new
        patient control number "RB...") makes the explainer count the visit as with
        insurance, so nothing of it is due from the patient while the payer decides, and a
        note on the account says so (plus an audit event). No ledger entry is posted: no
        money moved. The payer's answer (an 835) posts what it pays, as for any claim.
        """
        today = self._today()
        with self.sessions.begin() as session:
            encounter = session.get(Encounter, encounter_id)
            if encounter is None or encounter.account_id != account_id:
                raise AdjustmentRefused("That visit is not on this account.", "visit")
            coverage = session.get(Coverage, coverage_id)
            if coverage is None:
                raise AdjustmentRefused("No such coverage.", "coverage")
            if coverage.patient_id != encounter.patient_id:
                raise AdjustmentRefused(
                    "This coverage belongs to another patient, not the visit's."
                )
            on = encounter.date_of_service
            if coverage.effective_from > on or (
                coverage.effective_to is not None and coverage.effective_to < on
            ):
                raise AdjustmentRefused(
                    f"This coverage was not in effect on the visit's date ({on:%m/%d/%Y}).",
                    "coverage",
                )
            waiting = session.scalar(
                select(Claim.id)
                .where(Claim.encounter_id == encounter_id, Claim.status == ClaimStatus.SUBMITTED)
                .limit(1)
            )
            if waiting is not None:
                raise AdjustmentRefused(
                    "This visit already has a claim waiting for an answer.", "visit"
                )
            explanation = _explain(session, account_id, today)
            visit = _visit(explanation, encounter_id)
            billed = visit.billed if visit is not None else 0
            if billed <= 0:
                raise AdjustmentRefused("This visit has no charges to bill.", "visit")
            claim_id = uuid.uuid4()
            control = "RB" + claim_id.hex[:12].upper()
            session.add(
                Claim(
                    id=claim_id, encounter_id=encounter_id, coverage_id=coverage.id,
                    patient_control_number=control, status=ClaimStatus.SUBMITTED,
                    billed_cents=billed, paid_cents=0, patient_responsibility_cents=0,
                    submitted_at=utcnow(),
                )
            )  # fmt: skip
            payer = coverage.payer.name
            session.add(
                AccountNote(
                    id=uuid.uuid4(), account_id=account_id, patient_id=encounter.patient_id,
                    author_id=self.user.id, workstation=self.workstation, written_at=utcnow(),
                    body=(
                        f"New coverage found: the visit of {on:%m/%d/%Y} was billed again to "
                        f"{payer} ({coverage.plan_name}), claim {control}, "
                        f"{format_usd(billed)}. Nothing of it is due from the patient while "
                        "insurance decides."
                    ),
                )
            )  # fmt: skip
            session.add(
                AuditEvent(
                    occurred_at=utcnow(), user_id=self.user.id, workstation=self.workstation,
                    action="claim.rebill", account_id=account_id,
                    patient_id=encounter.patient_id, detail=f"claim {control} submitted",
                )
            )  # fmt: skip
            return RebillInfo(
                claim_id, control, encounter_id, billed,
                f"Billed to {payer} again (claim {control}): the visit of {on:%m/%d/%Y} is "
                "with insurance now, nothing of it is due from the patient.",
            )  # fmt: skip

    # -- inside -------------------------------------------------------------------------

    def _post(
        self,
        session: Session,
        request: AdjustmentRequest,
        by: UserInfo,
        *,
        decision_note: str = "",
    ) -> None:
        """Post the request's entry (its id derived from the request: at most once)."""
        memo = AdjustmentReason(request.reason).label
        if request.note:
            memo += f": {request.note}"
        if decision_note:
            memo += f" (approved: {decision_note})"
        patient_id = None
        if request.encounter_id is not None:
            patient_id = session.scalar(
                select(Encounter.patient_id).where(Encounter.id == request.encounter_id)
            )
        entry = LedgerEntry(
            id=uuid.uuid5(_IDS, f"{request.id.hex}:adjustment"),
            account_id=request.account_id, patient_id=patient_id,
            encounter_id=request.encounter_id, kind=LedgerKind(request.kind),
            amount_cents=-request.amount_cents, effective_date=self._today(),
            posted_at=utcnow(), posted_by_id=by.id, memo=memo[:200],
        )  # fmt: skip
        _checked(entry)
        session.add(entry)
        session.flush()
        request.status = POSTED
        request.ledger_entry_id = entry.id

    def _audit(
        self, session: Session, action: str, account_id: uuid.UUID, request: AdjustmentRequest
    ) -> None:
        session.add(
            AuditEvent(
                occurred_at=utcnow(), user_id=self.user.id, workstation=self.workstation,
                action=action, account_id=account_id,
                detail=f"{request.kind} {request.amount_cents} cents, {request.reason}, "
                f"needs {request.needs}, request {request.id.hex[:8]}",
            )
        )  # fmt: skip


# -- checks -----------------------------------------------------------------------------


def _reason(reason: AdjustmentReason | str) -> AdjustmentReason:
    try:
        return AdjustmentReason(reason)
    except ValueError as exc:
        raise AdjustmentRefused("Choose a reason for the adjustment.", "reason") from exc


def _request_kind(kind: LedgerKind | str) -> LedgerKind:
    try:
        value = LedgerKind(kind)
    except ValueError:
        value = None
    if value not in _REDUCTIONS:
        raise AdjustmentRefused("Choose a write-off or an adjustment.", "kind")
    assert value is not None
    return value


def _check_amount(amount_cents: int) -> None:
    if isinstance(amount_cents, bool) or not isinstance(amount_cents, int):
        raise AdjustmentRefused("The amount must be whole cents.", "amount")
    if amount_cents <= 0:
        raise AdjustmentRefused("The amount must be more than zero.", "amount")


def _note(note: str) -> str:
    text = (note or "").strip()
    if len(text) > MAX_NOTE_CHARS:
        raise AdjustmentRefused(
            f"The note holds at most {MAX_NOTE_CHARS} characters ({len(text)} typed).", "note"
        )
    return text


def _join(first: str | None, second: str) -> str:
    return (f"{first} / {second}" if first else second)[:MAX_NOTE_CHARS]


def _explain(session: Session, account_id: uuid.UUID, today: date) -> AccountExplanation:
    visits, entries = explain_facts(session, account_id)
    return explain_account(visits, entries, today)


def _visit(explanation: AccountExplanation, encounter_id: uuid.UUID) -> VisitExplanation | None:
    return next((v for v in explanation.visits if v.id == encounter_id), None)


def _posted_today_by(session: Session, account_id: uuid.UUID, user_id: uuid.UUID) -> int:
    """Reductions ``user_id`` posted on the account today (local day), in cents."""
    from datetime import datetime, time

    start = datetime.combine(datetime.now().astimezone().date(), time()).astimezone()
    return int(
        session.scalar(
            select(func.coalesce(func.sum(AdjustmentRequest.amount_cents), 0)).where(
                AdjustmentRequest.account_id == account_id,
                AdjustmentRequest.requested_by_id == user_id,
                AdjustmentRequest.status == "posted",
                AdjustmentRequest.needs == Approval.NONE.value,
                AdjustmentRequest.requested_at >= start,
            )
        )
        or 0
    )


def _check_room(
    session: Session,
    account_id: uuid.UUID,
    encounter_id: uuid.UUID | None,
    amount_cents: int,
    today: date,
    *,
    waiting: bool = False,
) -> None:
    """A reduction may not be more than is due now: the visit's (after account credits)
    or the account's (what is with insurance is not the patient's to be forgiven yet)."""
    explanation = _explain(session, account_id, today)
    since = " now (it changed while the request waited)" if waiting else ""
    if encounter_id is not None:
        visit = _visit(explanation, encounter_id)
        if visit is None:
            raise AdjustmentRefused("That visit is not on this account.", "visit")
        if visit.with_insurance:
            raise AdjustmentRefused(
                "This visit is still with insurance: nothing of it is the patient's yet.", "visit"
            )
        if amount_cents > visit.owed:
            raise AdjustmentRefused(
                f"The visit has {format_usd(max(visit.owed, 0))} due{since}: the adjustment "
                "cannot be larger.",
                "amount",
            )
        return
    if amount_cents > explanation.due_now:
        raise AdjustmentRefused(
            f"The account has {format_usd(max(explanation.due_now, 0))} due{since}: the "
            "adjustment cannot be larger.",
            "amount",
        )


def _why_not(request: AdjustmentRequest, user: UserInfo, limits: AdjustmentLimits) -> str:
    """Why ``user`` may not decide ``request`` ("" when they may)."""
    if request.status != PENDING:
        return f"This request was already {'approved' if request.status == POSTED else 'rejected'}."
    if not can_approve(user.role, request.amount_cents, limits):
        if Role(user.role) is Role.LEAD:
            return "An administrator must approve this: it is more than a lead may approve."
        return "A lead must approve this."
    if request.requested_by_id == user.id:
        return "You cannot decide your own request; another lead or an administrator must."
    return ""


def _why_not_correctable(entry: LedgerEntry, already_reversed: bool) -> str:
    kind = LedgerKind(entry.kind)
    if kind is LedgerKind.REVERSAL or entry.reverses_id is not None:
        return "A reversal cannot be reversed; post a new entry instead."
    if already_reversed:
        return "This entry was already reversed."
    if entry.payment_id is not None:
        return "Money that went through the gateway is corrected by a refund, not here."
    if entry.claim_id is not None or kind is LedgerKind.INSURANCE_PAYMENT:
        return "The payer's postings are corrected by the payer's reversal (an 835)."
    return ""


def _signed(kind: LedgerKind, size: int, original: int) -> int:
    if kind in RAISES:
        return size
    if kind in LOWERS:
        return -size
    return size if original > 0 else -size


def _checked(entry: LedgerEntry, *, reverses: bool = False) -> None:
    try:
        check_posting(LedgerKind(entry.kind), entry.amount_cents, reverses=reverses)
    except InvalidPosting as exc:
        raise AdjustmentRefused(f"The ledger refuses this entry: {exc}.") from exc


def _info(
    session: Session, request: AdjustmentRequest, user: UserInfo, limits: AdjustmentLimits
) -> AdjustmentInfo:
    account = session.get(GuarantorAccount, request.account_id)
    asker = session.get(User, request.requested_by_id) if request.requested_by_id else None
    decider = session.get(User, request.decided_by_id) if request.decided_by_id else None
    visit_date = None
    if request.encounter_id is not None:
        visit_date = session.scalar(
            select(Encounter.date_of_service).where(Encounter.id == request.encounter_id)
        )
    label = f"{kind_label(str(request.kind)).lower()} of {format_usd(request.amount_cents)}"
    if request.status == POSTED:
        message = f"Posted: {label} ({reason_label(request.reason)})."
    elif request.status == REJECTED:
        message = f"Rejected: the {label} was not posted."
    else:
        message = _WAITING.get(Approval(request.needs), "Waiting for approval") + "."
    why = _why_not(request, user, limits)
    return AdjustmentInfo(
        id=request.id, account_id=request.account_id,
        account_number=account.account_number if account else "",
        payer_name=f"{account.first_name} {account.last_name}".strip() if account else "",
        encounter_id=request.encounter_id, visit_date=visit_date, kind=str(request.kind),
        reason=request.reason, amount_cents=request.amount_cents, note=request.note or "",
        status=request.status, needs=request.needs,
        requested_by=asker.display_name if asker else "",
        requested_by_id=request.requested_by_id, requested_at=request.requested_at,
        decided_by=decider.display_name if decider else "", decided_at=request.decided_at,
        ledger_entry_id=request.ledger_entry_id, message=message, can_decide=not why,
        why_not=why,
    )  # fmt: skip
