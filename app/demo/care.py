"""What the practice does: clinicians, diagnoses, the fee schedule and courses of visits.

A patient's visits follow one course of care: an intake (90791), then therapy
(90832/90834/90837, family 90847), medication management (99213) or a group (90853),
spaced as such courses are, all within the last two years.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# CPT code -> (charge in cents, short description for ledger memos)
FEE_SCHEDULE: dict[str, tuple[int, str]] = {
    "90791": (30_000, "Psychiatric diagnostic evaluation"),
    "90832": (11_000, "Psychotherapy, 30 min"),
    "90834": (18_000, "Psychotherapy, 45 min"),
    "90837": (25_000, "Psychotherapy, 60 min"),
    "90847": (22_000, "Family psychotherapy with patient"),
    "90853": (7_500, "Group psychotherapy"),
    "99213": (15_000, "Office visit, established patient"),
}
CPT_CODES = tuple(FEE_SCHEDULE)

THERAPISTS = (
    "Dana Whitfield, LCSW", "Marcus Bell, LPC", "Elena Ortiz, LMFT", "Priya Raman, PhD",
    "Hannah Cole, LCSW", "Tomás Aguilar, LPC", "Grace Kim, PsyD", "Nora Delgado, LMFT",
    "Owen Fischer, LCSW", "Lucía Méndez, LPC",
)  # fmt: skip
PRESCRIBERS = ("Samuel Adeyemi, MD", "Rebecca Stone, MD", "Isabel Treviño, PMHNP")

# ICD-10 codes seen in a child and adolescent practice, with rough frequencies.
DIAGNOSES = (
    ("F90.2", 14), ("F90.0", 10), ("F41.1", 14), ("F32.1", 9), ("F43.23", 10),
    ("F43.10", 5), ("F84.0", 5), ("F91.3", 6), ("F42.2", 3), ("F34.1", 3), ("F41.9", 6),
    ("F93.0", 4), ("F50.02", 2), ("F33.1", 3),
)  # fmt: skip
_DX_CODES = tuple(code for code, _ in DIAGNOSES)
_DX_WEIGHTS = tuple(weight for _, weight in DIAGNOSES)

WINDOW_DAYS = 730  # visits happen within the last two years

# Courses of care: (weight, gap range in days, CPT codes of follow-ups with weights)
_THERAPY = ("90834", "90834", "90834", "90837", "90837", "90832", "90847", "90847")
_MEDS = ("99213",)
_GROUP = ("90853", "90853", "90853", "90834")


@dataclass(frozen=True, slots=True)
class Visit:
    days_ago: int
    codes: tuple[str, ...]
    place_of_service: str  # CMS POS: 11 office, 10 telehealth in the patient's home


@dataclass(frozen=True, slots=True)
class Course:
    provider: str
    diagnoses: str
    visits: tuple[Visit, ...]


def visit_count(rng: random.Random) -> int:
    """How many visits a patient had in the window: many none or one, a few many."""
    r = rng.random()
    if r < 0.40:
        return 0
    if r < 0.70:
        return 1
    if r < 0.83:
        return 2
    if r < 0.91:
        return 3 + int(rng.random() * 2)
    if r < 0.975:
        return 5 + int(rng.random() * 4)
    return 9 + int(rng.random() * 6)


def course_of_care(rng: random.Random, visits: int) -> Course:
    """A patient's visits, oldest first; ``visits`` >= 1."""
    kind = rng.random()
    follow_ups: tuple[str, ...]
    if kind < 0.68:
        follow_ups, gap, provider = _THERAPY, (7, 22), THERAPISTS[int(rng.random() * 10)]
    elif kind < 0.9:
        follow_ups, gap, provider = _MEDS, (28, 64), PRESCRIBERS[int(rng.random() * 3)]
    else:
        follow_ups, gap, provider = _GROUP, (7, 15), THERAPISTS[int(rng.random() * 10)]
    gaps = [gap[0] + int(rng.random() * (gap[1] - gap[0])) for _ in range(visits - 1)]
    span = sum(gaps)
    if span > WINDOW_DAYS - 30:  # a long course: squeeze it into the window
        gaps = [max(3, g * (WINDOW_DAYS - 30) // span) for g in gaps]
        span = sum(gaps)
    # Recent courses are likelier than old ones: many families are still coming.
    last = 1 + int((WINDOW_DAYS - span - 1) * rng.random() ** 1.6)
    day = last + span
    telehealth = rng.random() < 0.3
    out: list[Visit] = []
    for i in range(visits):
        if i == 0:
            codes: tuple[str, ...] = ("90791",) if rng.random() < 0.92 else ("99213",)
        else:
            code = follow_ups[int(rng.random() * len(follow_ups))]
            codes = (code, "90832") if code == "99213" and rng.random() < 0.08 else (code,)
        pos = "10" if telehealth and rng.random() < 0.7 else "11"
        out.append(Visit(day, codes, pos))
        if i < visits - 1:
            day -= gaps[i]
    dx = rng.choices(_DX_CODES, weights=_DX_WEIGHTS, k=1 + (rng.random() < 0.35))
    return Course(provider, ",".join(dict.fromkeys(dx)), tuple(out))
