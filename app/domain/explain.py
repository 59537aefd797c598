"""Why the patient owes what they owe: the balance taken apart, visit by visit, to the cent.

Pure rules, no database. The input is what the store knows of an account: its visits
with their claims (the payer's 835 answer: paid amounts and CAS adjustments) and every
ledger entry. The output is a table whose parts always add up to the balance:

    billed - insurance paid - plan adjustments = patient's share
    patient's share = deductible + coinsurance + copay + non-covered + other PR
                      - paid by a second insurance + share not yet explained
    balance = patient's share - patient paid - patient adjustments + refunds

The ledger is the truth for money (it is what the balance is the sum of); claims only say
how the share divides into kinds. Where the two disagree (a claim not yet posted, say)
the difference is shown as its own line, never hidden in a kind, so the sum still holds.
A visit whose claim is still with insurance is never the patient's to pay yet.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import NamedTuple

from app.domain.codes import ClaimStatus, LedgerKind

AGING_BUCKETS = ("0-30", "31-60", "61-90", "91-120", "120+")
_CHARGE = LedgerKind.CHARGE
_INSURANCE_PAYMENT = LedgerKind.INSURANCE_PAYMENT
_CONTRACTUAL = LedgerKind.CONTRACTUAL_ADJUSTMENT
_WRITE_OFF = LedgerKind.WRITE_OFF
_PATIENT_PAYMENT = LedgerKind.PATIENT_PAYMENT
_REFUND = LedgerKind.REFUND
_BUCKET_LIMITS = (30, 60, 90, 120)


class Adjustment(NamedTuple):
    """One CAS adjustment of a claim (summed over its lines is fine). A named tuple:
    accounts have hundreds of these and tuples are made several times faster."""

    group: str  # CO, PR, OA, PI
    reason: str  # CARC, e.g. "1" deductible, "2" coinsurance, "3" copay, "45" contractual
    cents: int


@dataclass(frozen=True)
class ClaimFacts:
    id: uuid.UUID
    payer: str
    priority: int  # 1 primary, 2 secondary, ...
    status: ClaimStatus
    billed_cents: int
    allowed_cents: int | None
    paid_cents: int
    adjustments: tuple[Adjustment, ...] = ()


class Entry(NamedTuple):
    """One ledger entry as the explainer needs it (a named tuple, for speed)."""

    kind: LedgerKind
    cents: int
    on: date
    encounter_id: uuid.UUID | None = None
    claim_id: uuid.UUID | None = None


@dataclass(frozen=True)
class VisitFacts:
    id: uuid.UUID
    service_date: date
    patient: str  # first name, as the agent says it
    provider: str
    claims: tuple[ClaimFacts, ...] = ()
    patient_id: uuid.UUID | None = None


@dataclass(frozen=True)
class Share:
    """The patient's share of a visit by kind (cents)."""

    deductible: int = 0
    coinsurance: int = 0
    copay: int = 0
    noncovered: int = 0
    other_pr: int = 0

    @property
    def total(self) -> int:
        return self.deductible + self.coinsurance + self.copay + self.noncovered + self.other_pr


@dataclass(frozen=True)
class VisitExplanation:
    id: uuid.UUID
    service_date: date
    patient: str
    provider: str
    payer: str | None
    billed: int
    allowed: int | None
    insurance_paid: int  # by every payer
    plan_adjusted: int  # contractual and other adjustments the plan made (not the patient's)
    share: Share  # from the primary payer's answer
    secondary_paid: int  # part of the share a second insurance paid
    share_unexplained: int  # what no claim accounts for (self-pay, or not yet posted)
    patient_paid: int
    patient_adjusted: int  # discounts, write-offs, transfers granted to the patient
    refunded: int
    balance: int
    with_insurance: bool  # a claim is still unanswered: nothing here is due yet
    self_pay: bool = False  # never billed to insurance: the whole charge is the patient's
    patient_id: uuid.UUID | None = None
    credit_applied: int = 0  # payments made on the account (no visit), applied oldest first

    @property
    def owed(self) -> int:
        """What is still owed for this visit once account credits are applied."""
        return self.balance - self.credit_applied

    @property
    def patient_share(self) -> int:
        """What insurance left to the patient: billed - paid - plan adjustments."""
        return self.billed - self.insurance_paid - self.plan_adjusted

    @property
    def due_now(self) -> int:
        return 0 if self.with_insurance else self.owed


@dataclass(frozen=True)
class AccountExplanation:
    visits: tuple[VisitExplanation, ...]
    unapplied: int  # account entries tied to no visit, after credits were applied to visits
    balance: int
    with_insurance: int
    due_now: int
    aging: dict[str, int] = field(default_factory=dict)

    @property
    def credit(self) -> int:
        return max(-self.balance, 0)


def explain_account(
    visits: Iterable[VisitFacts], entries: Iterable[Entry], today: date
) -> AccountExplanation:
    """Take an account's balance apart (see the module's docstring)."""
    by_visit: dict[uuid.UUID | None, list[Entry]] = {}
    for entry in entries:
        by_visit.setdefault(entry.encounter_id, []).append(entry)
    explained = tuple(
        explain_visit(v, by_visit.pop(v.id, []))
        for v in sorted(visits, key=lambda v: (v.service_date, str(v.id)))
    )
    # Entries of unknown visits count as unapplied: the balance must still add up.
    unapplied = sum(e.cents for group in by_visit.values() for e in group)
    balance = sum(v.balance for v in explained) + unapplied
    explained, unapplied = apply_account_credit(explained, unapplied)
    with_insurance = sum(max(v.balance, 0) for v in explained if v.with_insurance)
    aging = aging_buckets(explained, today)
    due_now = balance - with_insurance
    return AccountExplanation(explained, unapplied, balance, with_insurance, due_now, aging)


def explain_visit(visit: VisitFacts, entries: Sequence[Entry]) -> VisitExplanation:
    claims = {c.id: c for c in visit.claims}
    billed = insurance_paid = plan_adjusted = 0
    patient_paid = patient_adjusted = refunded = 0
    for e in entries:
        kind = e.kind
        if kind == _CHARGE:
            billed += e.cents
        elif kind == _INSURANCE_PAYMENT:
            insurance_paid -= e.cents
        elif kind == _CONTRACTUAL or (kind == _WRITE_OFF and e.claim_id in claims):
            plan_adjusted -= e.cents  # the plan's adjustment or a denial written off
        elif kind == _PATIENT_PAYMENT:
            patient_paid -= e.cents
        elif kind == _REFUND:
            refunded += e.cents
        else:  # patient adjustments, write-offs, transfers, reversals
            patient_adjusted -= e.cents
    # A denial is an answer too: its CAS says whose the charge is (PR-204, CO-50, ...).
    answered = [
        c for c in visit.claims if c.status in (ClaimStatus.ADJUDICATED, ClaimStatus.DENIED)
    ]
    primary = min(answered, key=lambda c: c.priority, default=None)
    share = _share_of(primary) if primary is not None else Share()
    secondary_paid = sum(c.paid_cents for c in answered if primary and c.id != primary.id)
    patient_share = billed - insurance_paid - plan_adjusted
    unexplained = patient_share - (share.total - secondary_paid)
    balance = patient_share - patient_paid - patient_adjusted + refunded
    pending = any(c.status == ClaimStatus.SUBMITTED for c in visit.claims)
    payer = primary or (visit.claims[0] if visit.claims else None)
    return VisitExplanation(
        id=visit.id,
        service_date=visit.service_date,
        patient=visit.patient,
        provider=visit.provider,
        payer=payer.payer if payer else None,
        billed=billed,
        allowed=primary.allowed_cents if primary else None,
        insurance_paid=insurance_paid,
        plan_adjusted=plan_adjusted,
        share=share,
        secondary_paid=secondary_paid,
        share_unexplained=unexplained,
        patient_paid=patient_paid,
        patient_adjusted=patient_adjusted,
        refunded=refunded,
        balance=balance,
        with_insurance=pending,
        self_pay=not visit.claims,
        patient_id=visit.patient_id,
    )


def apply_account_credit(
    visits: tuple[VisitExplanation, ...], unapplied: int
) -> tuple[tuple[VisitExplanation, ...], int]:
    """Spend a credit on the account (payments tied to no visit) on the visits that are
    due, oldest first, as a statement would; what is left stays unapplied."""
    if unapplied >= 0:
        return visits, unapplied
    left = -unapplied
    out = []
    for visit in visits:
        take = min(left, visit.balance) if not visit.with_insurance and visit.balance > 0 else 0
        left -= take
        out.append(replace(visit, credit_applied=take) if take else visit)
    return tuple(out), -left


def _share_of(claim: ClaimFacts) -> Share:
    kinds = {"1": 0, "2": 0, "3": 0, "noncovered": 0, "other": 0}
    for adj in claim.adjustments:
        if adj.group != "PR":
            continue
        if adj.reason in ("1", "2", "3"):
            kinds[adj.reason] += adj.cents
        elif adj.reason in ("96", "204"):
            kinds["noncovered"] += adj.cents
        else:
            kinds["other"] += adj.cents
    return Share(kinds["1"], kinds["2"], kinds["3"], kinds["noncovered"], kinds["other"])


def aging_buckets(visits: Iterable[VisitExplanation], today: date) -> dict[str, int]:
    """What is due now (not with insurance, after account credits) by its visit's age."""
    buckets = dict.fromkeys(AGING_BUCKETS, 0)
    for visit in visits:
        if visit.with_insurance or visit.owed <= 0:
            continue
        days = (today - visit.service_date).days
        index = next((i for i, limit in enumerate(_BUCKET_LIMITS) if days <= limit), 4)
        buckets[AGING_BUCKETS[index]] += visit.owed
    return buckets
