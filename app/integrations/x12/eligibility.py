"""270 eligibility requests and 271 responses (5010 X279A1), the parts the desk needs.

A 271 says, per service type, what the plan covers: EB01 (1 active, 6 inactive,
A coinsurance, B copay, C deductible, G out-of-pocket, ...), EB03 service types (a
repeated element: MH mental health, A4-A8 psychiatric, AI substance use, 30 plan),
EB06 time period (23 calendar year, 29 remaining, ...), EB07 amount, EB08 percent as a
fraction (``.2`` = 20 %), EB11 authorization required, EB12 in network. An AAA segment
is a rejection. :func:`benefits_for` condenses a response into the numbers of a
benefits snapshot for one service type.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal, InvalidOperation

from app.integrations.x12.segments import Segment, X12Error, read_segments

BEHAVIORAL = ("MH", "A4", "A5", "A6", "A7", "A8", "AI", "AJ", "AK")
_YEAR = ("23", "22", "25", "21")  # calendar year, service year, contract, years
_REMAINING = "29"


@dataclass(frozen=True)
class Benefit:
    info: str  # EB01
    level: str  # EB02: IND, FAM, ...
    service_types: tuple[str, ...]  # EB03 (repeated)
    insurance_type: str
    plan: str
    period: str  # EB06
    amount: Decimal | None
    percent: Decimal | None  # a fraction: 0.2 is 20 %
    auth_required: bool | None
    in_network: bool | None  # None: applies either way ("W")


@dataclass
class Eligibility:
    trace: str
    member_id: str
    plan_begin: date | None = None
    benefits: list[Benefit] = field(default_factory=list)
    rejections: list[str] = field(default_factory=list)  # AAA03 reason codes


@dataclass(frozen=True)
class BenefitsSummary:
    service_type: str
    in_network: bool
    active: bool | None
    deductible_cents: int | None
    deductible_met_cents: int | None
    oop_max_cents: int | None
    oop_met_cents: int | None
    copay_cents: int | None
    coinsurance_bp: int | None  # basis points: 2000 = 20 %
    prior_auth_required: bool | None


def parse_271(text: str) -> list[Eligibility]:
    """Every subscriber or dependent answered in the file, in order."""
    answers: list[Eligibility] = []
    current: Eligibility | None = None
    subscriber_id = ""
    upstream: list[str] = []  # AAA above any subscriber: the payer or provider refused
    saw_271 = False
    for seg in read_segments(text):
        tag = seg.tag
        if tag == "ST":
            saw_271 = saw_271 or seg.get(1) == "271"
        elif tag == "HL" and seg.get(3) in ("22", "23"):  # subscriber or dependent
            # A dependent is identified by the subscriber's member id.
            current = Eligibility(trace="", member_id=subscriber_id if seg.get(3) == "23" else "")
            answers.append(current)
        elif current is None:
            if tag == "AAA":
                upstream.append(seg.get(3))
            continue
        elif tag == "TRN":
            current.trace = current.trace or seg.get(2)
        elif tag == "NM1" and seg.get(1) in ("IL", "03") and seg.get(8) == "MI":
            current.member_id = current.member_id or seg.get(9)
            if seg.get(1) == "IL":
                subscriber_id = current.member_id
        elif tag == "DTP" and seg.get(1) in ("346", "291") and current.plan_begin is None:
            current.plan_begin = _date(seg.get(3)[:8])
        elif tag == "AAA":
            current.rejections.append(seg.get(3))
        elif tag == "EB":
            current.benefits.append(_benefit(seg))
    if not saw_271:
        raise X12Error("not a 271: no ST*271 transaction set", segment="ST", position=1)
    if upstream and not answers:
        answers.append(Eligibility(trace="", member_id="", rejections=upstream))
    return answers


def _benefit(seg: Segment) -> Benefit:
    repetition = seg.delimiters.repetition or "^"
    return Benefit(
        info=seg.get(1),
        level=seg.get(2),
        service_types=tuple(t for t in seg.get(3).split(repetition) if t),
        insurance_type=seg.get(4),
        plan=seg.get(5),
        period=seg.get(6),
        amount=_decimal(seg, 7),
        percent=_decimal(seg, 8),
        auth_required={"Y": True, "N": False}.get(seg.get(11)),
        in_network={"Y": True, "N": False}.get(seg.get(12)),
    )


def _decimal(seg: Segment, number: int) -> Decimal | None:
    raw = seg.get(number).strip()
    if not raw:
        return None
    try:
        return Decimal(raw)
    except InvalidOperation:
        raise seg.error(f"EB{number:02d} is not a number") from None


def _date(raw: str) -> date | None:
    try:
        return date(int(raw[:4]), int(raw[4:6]), int(raw[6:8]))
    except ValueError:
        return None


def benefits_for(
    answer: Eligibility, service_types: tuple[str, ...] = BEHAVIORAL, *, in_network: bool = True
) -> BenefitsSummary:
    """The numbers of a benefits snapshot: the first of ``service_types`` the response
    speaks of (else the plan level, 30), individual level, in network."""
    wanted = next(
        (t for t in service_types if any(t in b.service_types for b in answer.benefits)), "30"
    )
    relevant = [
        b
        for b in answer.benefits
        if (wanted in b.service_types or not b.service_types or "30" in b.service_types)
        and b.level in ("", "IND")
        and b.in_network in (None, in_network)
    ]
    # Service-type-specific benefits first, then the plan-level ones.
    relevant.sort(key=lambda b: 0 if wanted in b.service_types else 1)

    def first(info: str, periods: tuple[str, ...] | None = None) -> Benefit | None:
        return next(
            (
                b
                for b in relevant
                if b.info == info
                and (periods is None or b.period in periods)
                and (b.amount is not None or b.percent is not None)
            ),
            None,
        )

    def cents(benefit: Benefit | None) -> int | None:
        if benefit is None or benefit.amount is None:
            return None
        return int((benefit.amount * 100).to_integral_value())

    active_flags = [b.info for b in relevant if b.info in ("1", "6") and wanted in b.service_types]
    deductible = cents(first("C", _YEAR))
    deductible_left = cents(first("C", (_REMAINING,)))
    oop = cents(first("G", _YEAR))
    oop_left = cents(first("G", (_REMAINING,)))
    coinsurance = first("A")
    auth = next((b.auth_required for b in relevant if b.auth_required is not None), None)
    return BenefitsSummary(
        service_type=wanted,
        in_network=in_network,
        active=None if not active_flags else active_flags[0] == "1",
        deductible_cents=deductible,
        deductible_met_cents=(
            deductible - deductible_left
            if deductible is not None and deductible_left is not None
            else None
        ),
        oop_max_cents=oop,
        oop_met_cents=oop - oop_left if oop is not None and oop_left is not None else None,
        copay_cents=cents(first("B")),
        coinsurance_bp=(
            int((coinsurance.percent * 10_000).to_integral_value())
            if coinsurance is not None and coinsurance.percent is not None
            else None
        ),
        prior_auth_required=auth,
    )


@dataclass(frozen=True)
class Inquiry:
    """What a 270 asks: who (payer, provider, member) and which services."""

    payer_name: str
    payer_id: str
    provider_name: str
    provider_npi: str
    member_id: str
    last_name: str
    first_name: str
    birth_date: date
    service_types: tuple[str, ...] = ("MH", "30")


def build_270(inquiry: Inquiry, *, control: int, trace: str, today: date, sender: str,
              receiver: str) -> str:  # fmt: skip
    """A 270 request (5010 X279A1) for one subscriber, segments ending in ``~``."""
    stamp = today.strftime("%Y%m%d")
    body = [
        f"ST*270*{control:04d}*005010X279A1",
        f"BHT*0022*13*{trace}*{stamp}*1200",
        "HL*1**20*1",
        f"NM1*PR*2*{_clean(inquiry.payer_name)}*****PI*{_clean(inquiry.payer_id)}",
        "HL*2*1*21*1",
        f"NM1*1P*2*{_clean(inquiry.provider_name)}*****XX*{_clean(inquiry.provider_npi)}",
        "HL*3*2*22*0",
        f"TRN*1*{_clean(trace)}*9PADESK000",
        f"NM1*IL*1*{_clean(inquiry.last_name)}*{_clean(inquiry.first_name)}****MI*"
        f"{_clean(inquiry.member_id)}",
        f"DMG*D8*{inquiry.birth_date:%Y%m%d}",
        f"DTP*291*D8*{stamp}",
        f"EQ*{'^'.join(_clean(t) for t in inquiry.service_types)}",
    ]
    body.append(f"SE*{len(body) + 1}*{control:04d}")
    isa = (
        f"ISA*00*{'':10}*00*{'':10}*ZZ*{sender[:15]:<15}*ZZ*{receiver[:15]:<15}*"
        f"{today:%y%m%d}*1200*^*00501*{control:09d}*0*P*:"
    )
    segments = [
        isa,
        f"GS*HS*{sender}*{receiver}*{stamp}*1200*{control}*X*005010X279A1",
        *body,
        f"GE*1*{control}",
        f"IEA*1*{control:09d}",
    ]
    return "~".join(segments) + "~"


def _clean(value: str) -> str:
    """No delimiter may appear inside an element."""
    return "".join(ch for ch in value.upper() if ch not in "*~^:").strip()
