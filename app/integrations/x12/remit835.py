"""835 remittance advice: claims (CLP), their service lines (SVC), adjustments (CAS),
dates (DTM) and amounts (AMT), mapped to plain dataclasses with Decimal money.

Tolerant of 4010 and 5010: only the segments the desk needs are read, in their loop
order (CLP starts a claim, SVC starts a line, CAS belongs to the claim or to the line
before it). A reversal (CLP02 = 22) carries negative amounts as sent.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from app.integrations.x12.reasons import describe
from app.integrations.x12.segments import Segment, X12Error, read_segments

ZERO = Decimal("0.00")
# SVC01-1 product/service id qualifiers: HCPCS/CPT, ADA, NDC, revenue code, ...
_QUALIFIERS = frozenset({"HC", "AD", "ER", "IV", "N4", "NU", "WK", "HP", "ZZ", "N1", "N2"})
REVERSAL = "22"


@dataclass(frozen=True)
class Cas:
    group: str  # CO, PR, OA, PI (CR in 4010)
    reason: str  # CARC
    amount: Decimal
    quantity: Decimal | None = None


@dataclass
class ServiceLine:
    procedure: str  # e.g. "HC:90834" as sent, qualifier and code
    code: str  # the procedure code alone
    billed: Decimal
    paid: Decimal
    units: Decimal | None
    adjustments: list[Cas] = field(default_factory=list)
    allowed: Decimal | None = None  # AMT*B6
    service_date: date | None = None
    remarks: list[str] = field(default_factory=list)  # RARC from LQ*HE

    @property
    def adjusted(self) -> Decimal:
        return sum((a.amount for a in self.adjustments), ZERO)


@dataclass
class ClaimPayment:
    patient_control_number: str
    status: str  # CLP02: 1 primary, 2 secondary, 3 tertiary, 4 denied, 22 reversal, ...
    billed: Decimal
    paid: Decimal
    patient_responsibility: Decimal  # CLP05 as the payer states it
    payer_claim_number: str
    adjustments: list[Cas] = field(default_factory=list)  # claim-level CAS
    lines: list[ServiceLine] = field(default_factory=list)
    position: int = 0  # segment number of the CLP

    @property
    def all_adjustments(self) -> list[Cas]:
        return [*self.adjustments, *(a for line in self.lines for a in line.adjustments)]

    @property
    def reconciles(self) -> bool:
        """billed = paid + every adjustment, for the claim (and each line, if any)."""
        total = self.paid + sum((a.amount for a in self.all_adjustments), ZERO)
        lines_ok = all(line.billed == line.paid + line.adjusted for line in self.lines)
        return total == self.billed and lines_ok


@dataclass
class Remittance:
    payer: str
    payee: str
    trace: str
    paid_on: date | None
    claims: list[ClaimPayment]


def parse_835(text: str) -> Remittance:
    """Read an 835; raise :class:`X12Error` naming the segment and position if it is
    not one or a needed element is malformed."""
    payer = payee = trace = ""
    paid_on: date | None = None
    claims: list[ClaimPayment] = []
    claim: ClaimPayment | None = None
    line: ServiceLine | None = None
    saw_835 = False
    for seg in read_segments(text):
        tag = seg.tag
        if tag == "ST":
            saw_835 = saw_835 or seg.get(1) == "835"
        elif tag == "BPR":
            paid_on = _date(seg, 16) if seg.get(16) else None
        elif tag == "TRN":
            trace = seg.get(2)
        elif tag == "N1" and seg.get(1) == "PR":
            payer = seg.get(2)
        elif tag == "N1" and seg.get(1) == "PE":
            payee = seg.get(2)
        elif tag == "CLP":
            claim = ClaimPayment(
                patient_control_number=seg.get(1),
                status=seg.get(2),
                billed=_money(seg, 3),
                paid=_money(seg, 4),
                patient_responsibility=_money(seg, 5, optional=True),
                payer_claim_number=seg.get(7),
                position=seg.position,
            )
            claims.append(claim)
            line = None
        elif tag == "SVC":
            if claim is None:
                raise seg.error("a service line (SVC) comes before any claim (CLP)")
            parts = seg.components(1)
            # Some senders split SVC01 with the element separator ("SVC*HC*90834*...");
            # then every later element sits one place to the right.
            shift = 1 if len(parts) == 1 and parts[0] in _QUALIFIERS else 0
            line = ServiceLine(
                procedure=seg.get(1) + (f":{seg.get(2)}" if shift else ""),
                code=seg.get(2) if shift else (parts[1] if len(parts) > 1 else parts[0]),
                billed=_money(seg, 2 + shift),
                paid=_money(seg, 3 + shift),
                units=_money(seg, 5 + shift, optional=True) if seg.get(5 + shift) else None,
            )
            claim.lines.append(line)
        elif tag == "CAS":
            if claim is None:
                raise seg.error("an adjustment (CAS) comes before any claim (CLP)")
            (line.adjustments if line is not None else claim.adjustments).extend(_cas(seg))
        elif tag == "AMT" and line is not None and seg.get(1) == "B6":
            line.allowed = _money(seg, 2)
        elif tag == "DTM" and line is not None and seg.get(1) == "472":
            line.service_date = _date(seg, 2)
        elif tag == "LQ" and line is not None and seg.get(1) == "HE":
            line.remarks.append(seg.get(2))
        elif tag in ("LX", "PLB", "SE"):
            line = None
            if tag != "LX":
                claim = None
    if not saw_835:
        raise X12Error("not an 835: no ST*835 transaction set", segment="ST", position=1)
    return Remittance(payer, payee, trace, paid_on, claims)


def _cas(seg: Segment) -> list[Cas]:
    group = seg.get(1)
    if not group:
        raise seg.error("an adjustment (CAS) has no group code")
    found = []
    for first in range(2, 20, 3):  # up to six reason/amount/quantity triplets
        reason = seg.get(first)
        if not reason:
            continue
        amount = _money(seg, first + 1)
        quantity = _money(seg, first + 2, optional=True) if seg.get(first + 2) else None
        found.append(Cas(group, reason, amount, quantity))
    return found


def _money(seg: Segment, number: int, *, optional: bool = False) -> Decimal:
    raw = seg.get(number).strip()
    if not raw:
        if optional:
            return ZERO
        raise seg.error(f"{seg.tag}{number:02d} (an amount) is missing")
    try:
        return Decimal(raw).quantize(Decimal("0.01"))
    except InvalidOperation:
        raise seg.error(f"{seg.tag}{number:02d} is not an amount") from None


def _date(seg: Segment, number: int) -> date | None:
    raw = seg.get(number).strip()
    try:
        if len(raw) == 8:
            return date(int(raw[:4]), int(raw[4:6]), int(raw[6:]))
        if len(raw) == 6:  # 4010 YYMMDD
            return date(2000 + int(raw[:2]), int(raw[2:4]), int(raw[4:]))
    except ValueError:
        return None  # an impossible date (20002316 in one public sample): unknown, not fatal
    return None


PR_KINDS = {"1": "deductible", "2": "coinsurance", "3": "copay", "96": "noncovered",
            "204": "noncovered"}  # fmt: skip


def explain(remittance: Remittance) -> dict[str, Any]:
    """The claims in file order with the patient's share by kind, amounts as strings."""
    out = []
    for claim in remittance.claims:
        share = dict.fromkeys(
            ("deductible", "coinsurance", "copay", "noncovered", "other_pr"), ZERO
        )
        for adj in claim.all_adjustments:
            if adj.group == "PR":
                share[PR_KINDS.get(adj.reason, "other_pr")] += adj.amount
        out.append(
            {
                "patient_control_number": claim.patient_control_number,
                "status": claim.status,
                "billed": str(claim.billed),
                "paid": str(claim.paid),
                "patient_responsibility": {k: str(v) for k, v in share.items()},
                "adjustments": [
                    {
                        "group": a.group,
                        "reason": a.reason,
                        "amount": str(a.amount),
                        "says": describe("CARC", a.reason),
                    }
                    for a in claim.all_adjustments
                ],
                "reconciles": claim.reconciles,
            }
        )
    return {"claims": out}
