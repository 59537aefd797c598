"""Visits billed: encounters, claims to the primary (and secondary) payer, and their postings.

For each visit: the encounter and its procedure lines, the charge on the ledger, a copay
taken at the front desk now and then, then the claim. A claim not yet answered stays
``submitted`` with no lines; an answered one carries 835 lines and adjustments, and the
ledger gets the insurance payment and the contractual adjustment on the remittance day.
What is left is the patient's to pay from that day (a :class:`Due`).
"""

from __future__ import annotations

from dataclasses import dataclass

from app.demo.adjudication import DENIALS, LineOutcome, adjudicate, coordinate, deny, half_up
from app.demo.books import (
    CARD,
    CHARGE,
    CONTRACTUAL,
    INSURANCE_PAYMENT,
    PATIENT_ADJUSTMENT,
    WRITE_OFF,
    AccountBooks,
)
from app.demo.care import FEE_SCHEDULE, Course, Visit, course_of_care, visit_count
from app.demo.household import Member, Plan
from app.demo.tables import new_key
from app.demo.timeline import CHARGE_HOUR, CLAIM_HOUR, FRONT_DESK_HOUR, REMIT_HOUR
from app.domain.codes import ClaimStatus

SUBMITTED = ClaimStatus.SUBMITTED.value
ADJUDICATED = ClaimStatus.ADJUDICATED.value
DENIED = ClaimStatus.DENIED.value

SELF_PAY_DISCOUNT_BP = 3000
COPAY_AT_DESK = 0.55  # share of office visits where the copay is taken at check-in
STUCK_CLAIMS = 0.008  # claims the payer never answered (they need a follow-up call)

_DENIAL_TEXT = {
    "197": "precertification absent",
    "50": "not medically necessary",
    "29": "filing limit expired",
    "204": "not covered by the plan",
}
_DENIAL_CUMULATIVE = tuple(
    sum(share for *_, share in DENIALS[: i + 1]) for i in range(len(DENIALS))
)
_MEMO = {code: f"{code} {text}" for code, (_, text) in FEE_SCHEDULE.items()}

Line = tuple[str, str, int]  # (procedure line id, CPT code, charge)


@dataclass(frozen=True, slots=True)
class Answer:
    """A payer's answer to a claim: on which day, what is left to the patient, per line."""

    day: int
    remitted_at: str
    shares: tuple[int, ...]

    @property
    def owed(self) -> int:
        return sum(self.shares)


@dataclass(frozen=True, slots=True)
class Due:
    """An amount that became the patient's to pay on a day (days ago)."""

    day: int
    amount: int
    patient: str
    encounter: str


def bill_member(books: AccountBooks, member: Member, dues: list[Due]) -> None:
    """Every visit of ``member`` in the window, billed and posted."""
    count = visit_count(books.rng)
    if not count:
        return
    course = course_of_care(books.rng, count)
    for n, visit in enumerate(course.visits, start=1):
        member.visit_days.append(visit.days_ago)
        _bill_visit(books, member, course, visit, n, dues)


def _bill_visit(
    books: AccountBooks, member: Member, course: Course, visit: Visit, n: int, dues: list[Due]
) -> None:
    rng, out, timeline = books.rng, books.out, books.timeline
    d = visit.days_ago
    encounter = new_key(rng)
    charged_at = timeline.at(d, CHARGE_HOUR, rng)
    out.encounter.append(
        (
            encounter, member.key, books.account, timeline.day(d), course.provider,
            visit.place_of_service, course.diagnoses, charged_at, charged_at,
        )
    )  # fmt: skip
    lines: list[Line] = []
    for number, code in enumerate(visit.codes, start=1):
        key, charge = new_key(rng), FEE_SCHEDULE[code][0]
        out.procedure_line.append((key, encounter, number, code, None, 1, charge))
        lines.append((key, code, charge))
    total = sum(charge for _, _, charge in lines)
    memo = "; ".join(_MEMO[code] for _, code, _ in lines)
    books.post(CHARGE, total, d, charged_at, patient=member.key, encounter=encounter, memo=memo)

    primary = member.plans[0] if member.plans else None
    if primary is None:
        discount = half_up(total, SELF_PAY_DISCOUNT_BP)
        books.post(
            PATIENT_ADJUSTMENT, -discount, d, charged_at,
            patient=member.key, encounter=encounter, memo="Self-pay discount",
        )  # fmt: skip
        dues.append(Due(d, total - discount, member.key, encounter))
        return

    prepaid = 0
    copay = primary.plan.rules.copay_cents
    if copay and visit.place_of_service == "11" and rng.random() < COPAY_AT_DESK:
        prepaid = copay
        taken_at = timeline.at(d, FRONT_DESK_HOUR, rng)
        books.pay(
            copay, d, taken_at, channel="front_desk", method=CARD,
            patient=member.key, memo="Copay at check-in",
        )  # fmt: skip

    lag = min(int(rng.random() * 3), d - 1)
    answer = _claim(books, member, primary, encounter, lines, d, d - lag, charged_at, n)
    if answer is None:
        return
    if len(member.plans) > 1 and answer.owed > 0:
        second = _secondary(books, member, member.plans[1], encounter, lines, answer, n)
        books.awaiting_insurance(
            answer.remitted_at, second.remitted_at if second else None, answer.owed
        )
        if second is None:
            return
        answer = second
    if answer.owed - prepaid > 0:
        dues.append(Due(answer.day, answer.owed - prepaid, member.key, encounter))


def _claim(
    books: AccountBooks,
    member: Member,
    coverage: Plan,
    encounter: str,
    lines: list[Line],
    visit_day: int,
    submitted_day: int,
    charged_at: str,
    n: int,
) -> Answer | None:
    """The claim to the primary payer; None while the payer has not answered."""
    rng, out, timeline = books.rng, books.out, books.timeline
    rules = coverage.plan.rules
    claim = new_key(rng)
    total = sum(charge for _, _, charge in lines)
    submitted_at = timeline.at(submitted_day, CLAIM_HOUR, rng)
    control = f"{member.mrn}-{n:03d}"
    answered_day = submitted_day - 9 - int(rng.random() * 26)
    if answered_day < 1 or rng.random() < STUCK_CLAIMS:
        out.claim.append(
            (
                claim, encounter, coverage.key, control, None, SUBMITTED, None, total, 0, 0,
                submitted_at, None, None, 1, submitted_at, submitted_at,
            )
        )  # fmt: skip
        books.awaiting_insurance(charged_at, None, total)
        return None

    year = timeline.year(visit_day)  # the plan year is the year of service
    denial: tuple[str, str] | None = None
    if rng.random() * 10_000 < rules.denial_bp:
        pick = int(rng.random() * _DENIAL_CUMULATIVE[-1])
        group, reason, _ = next(
            DENIALS[i] for i, bound in enumerate(_DENIAL_CUMULATIVE) if pick < bound
        )
        denial = (group, reason)
        outcomes = [deny(charge, group, reason) for _, _, charge in lines]
    else:
        acc = coverage.accumulator(year, rng)
        outcomes = [adjudicate(charge, code, rules, acc) for _, code, charge in lines]
    remitted_at = _write_claim(
        books, coverage, claim, encounter, control, lines, outcomes,
        submitted_at, answered_day, DENIED if denial else ADJUDICATED,
    )  # fmt: skip
    books.awaiting_insurance(charged_at, remitted_at, total)
    deductible = sum(a for o in outcomes for g, r, a in o.adjustments if g == "PR" and r == "1")
    owed = sum(o.patient_share for o in outcomes)
    out_of_pocket = owed - sum(
        a for o in outcomes for g, r, a in o.adjustments if g == "PR" and r in ("96", "204")
    )
    coverage.history.append((answered_day, year, deductible, out_of_pocket))

    paid = sum(o.paid for o in outcomes)
    written_off = sum(o.contractual for o in outcomes)
    if paid:
        memo = f"EFT {_trace(books, coverage, answered_day)}"
        books.post(
            INSURANCE_PAYMENT, -paid, answered_day, remitted_at,
            patient=member.key, encounter=encounter, claim=claim, memo=memo,
        )  # fmt: skip
    if written_off:
        kind, memo = CONTRACTUAL, "CO-45 contractual"
        if denial is not None:
            kind, memo = WRITE_OFF, f"Denied CO-{denial[1]}: {_DENIAL_TEXT[denial[1]]}"
        books.post(
            kind, -written_off, answered_day, remitted_at,
            patient=member.key, encounter=encounter, claim=claim, memo=memo,
        )  # fmt: skip
    return Answer(answered_day, remitted_at, tuple(o.patient_share for o in outcomes))


def _secondary(
    books: AccountBooks,
    member: Member,
    coverage: Plan,
    encounter: str,
    lines: list[Line],
    primary: Answer,
    n: int,
) -> Answer | None:
    """The crossover claim for what the primary left to the patient."""
    rng, out, timeline = books.rng, books.out, books.timeline
    primary_day = primary.day
    claim = new_key(rng)
    total = sum(charge for _, _, charge in lines)
    submitted_at = timeline.at(primary_day, CLAIM_HOUR, rng)
    control = f"{member.mrn}-{n:03d}S"
    answered_day = primary_day - 10 - int(rng.random() * 20)
    if answered_day < 1:
        out.claim.append(
            (
                claim, encounter, coverage.key, control, None, SUBMITTED, None, total, 0, 0,
                submitted_at, None, None, 1, submitted_at, submitted_at,
            )
        )  # fmt: skip
        return None
    outcomes = [
        coordinate(charge, share, coverage.plan.rules)
        for (_, _, charge), share in zip(lines, primary.shares, strict=True)
    ]
    remitted_at = _write_claim(
        books, coverage, claim, encounter, control, lines, outcomes,
        submitted_at, answered_day, ADJUDICATED,
    )  # fmt: skip
    paid = sum(o.paid for o in outcomes)
    if paid:
        memo = f"EFT {_trace(books, coverage, answered_day)}"
        books.post(
            INSURANCE_PAYMENT, -paid, answered_day, remitted_at,
            patient=member.key, encounter=encounter, claim=claim, memo=memo,
        )  # fmt: skip
    return Answer(answered_day, remitted_at, tuple(o.patient_share for o in outcomes))


def _write_claim(
    books: AccountBooks,
    coverage: Plan,
    claim: str,
    encounter: str,
    control: str,
    lines: list[Line],
    outcomes: list[LineOutcome],
    submitted_at: str,
    answered_day: int,
    status: str,
) -> str:
    rng, out, timeline = books.rng, books.out, books.timeline
    remitted_at = timeline.at(answered_day, REMIT_HOUR, rng)
    icn = f"{rng.getrandbits(48) % 10**13:013d}"
    total = sum(charge for _, _, charge in lines)
    out.claim.append(
        (
            claim, encounter, coverage.key, control, icn, status,
            "4" if status == DENIED else str(coverage.priority), total,
            sum(o.paid for o in outcomes), sum(o.patient_share for o in outcomes),
            submitted_at, timeline.day(answered_day), _trace(books, coverage, answered_day),
            2, submitted_at, remitted_at,
        )
    )  # fmt: skip
    for number, ((procedure, code, charge), outcome) in enumerate(
        zip(lines, outcomes, strict=True), start=1
    ):
        line = new_key(rng)
        out.adjudication_line.append(
            (line, claim, procedure, number, code, 1, charge, outcome.allowed, outcome.paid)
        )
        for group, reason, amount in outcome.adjustments:
            remark = "N130" if reason == "96" else None
            out.line_adjustment.append((new_key(rng), line, group, reason, amount, None, remark))
    return remitted_at


def _trace(books: AccountBooks, coverage: Plan, day: int) -> str:
    """The EFT trace number of the payer's remittance that day (one per payer and day)."""
    return f"{coverage.plan.code}{books.timeline.day(day).replace('-', '')}"
