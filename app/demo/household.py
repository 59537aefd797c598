"""A guarantor account and the children on it: names, birthdays, contact, insurance.

Most accounts are a parent with one to four children; some are a grandparent (other)
or a legal guardian (ward); a few are young adults who are their own guarantor (self).
About three families in ten are Mexican-American (es_MX names, some Spanish-speaking).
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from datetime import date

from app.demo.adjudication import Accumulator
from app.demo.catalog import Catalog
from app.demo.contact import Address, email_for
from app.demo.names import NameBook
from app.demo.payers import PayerPlan
from app.demo.tables import new_key, new_uuid
from app.domain.codes import PayerKind, Relationship

SELF = 0  # household plan code: an adult patient who is their own guarantor

SPANISH_SHARE = 0.30
MEDICAID_SHARE = 0.36
SELF_PAY_SHARE = 0.05
SECONDARY_SHARE = 0.14  # of commercially insured households

_CHILD = Relationship.CHILD.value
_WARD = Relationship.WARD.value
_OTHER = Relationship.OTHER.value
_SELF = Relationship.SELF.value

YEAR = 365


@dataclass(slots=True)
class Plan:
    """One coverage of one patient, and what the patient has used of it."""

    key: str
    plan: PayerPlan
    priority: int
    member_id: str
    group_number: str | None
    subscriber_name: str
    subscriber_relationship: str
    effective_from: date
    used: dict[int, Accumulator] = field(default_factory=dict)  # plan year -> accumulators
    # What other care (a pediatrician, a hospital) had already put toward the deductible
    # when the plan year's first visit here was adjudicated.
    prior: dict[int, int] = field(default_factory=dict)
    # (adjudicated days ago, plan year, deductible, out of pocket) of each adjudicated claim
    history: list[tuple[int, int, int, int]] = field(default_factory=list)

    def accumulator(self, year: int, rng: random.Random) -> Accumulator:
        acc = self.used.get(year)
        if acc is None:
            deductible = self.plan.rules.deductible_cents
            r = rng.random()
            met = 0
            if deductible and r < 0.3:
                met = deductible
            elif deductible and r < 0.6:
                met = int(deductible * rng.random()) // 100 * 100
            self.prior[year] = met
            acc = self.used[year] = Accumulator(deductible_met=met, oop_met=met)
        return acc


@dataclass(slots=True)
class Member:
    """A patient on the account."""

    id: uuid.UUID
    key: str
    mrn: str
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    relationship: str
    plans: list[Plan]  # primary first; empty for self-pay
    visit_days: list[int] = field(default_factory=list)  # days ago of each visit

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


@dataclass(slots=True)
class Household:
    id: uuid.UUID
    key: str
    account_number: str
    first_name: str
    last_name: str
    date_of_birth: date
    sex: str
    spanish: bool
    phone: str
    alt_phone: str | None
    email: str | None
    address: Address
    members: list[Member]


def make_household(
    catalog: Catalog, rng: random.Random, account_number: str, size: int, first_mrn: int
) -> Household:
    """An account with ``size`` patients (``SELF``: one adult who is the guarantor)."""
    timeline = catalog.timeline
    is_spanish = rng.random() < SPANISH_SHARE
    book = catalog.spanish if is_spanish else catalog.english
    account_id = new_uuid(rng)
    address = catalog.addresses.address(rng)
    phone = catalog.phones.number(rng, address.state)
    alt_phone = catalog.phones.number(rng, address.state) if rng.random() < 0.3 else None

    if size == SELF:
        sex = "F" if rng.random() < 0.55 else "M"
        first, last = book.first(rng, sex), _last_name(rng, book, is_spanish)
        born = timeline.date_of(18 * YEAR + 5 + int(rng.random() * (3 * YEAR - 10)))
        kids: list[tuple[str, str, date, str, str]] = [(first, last, born, sex, _SELF)]
        guardian_dob = born
    else:
        r = rng.random()
        relationship = _CHILD if r < 0.93 else (_OTHER if r < 0.97 else _WARD)
        sex = "F" if rng.random() < (0.78 if relationship == _CHILD else 0.7) else "M"
        first, last = book.first(rng, sex), _last_name(rng, book, is_spanish)
        kids = _children(catalog, rng, book, is_spanish, size, last, relationship)
        oldest = timeline.days_ago(min(kid[2] for kid in kids))
        gap = 19 if relationship == _CHILD else 40
        gap += int(rng.random() * 20)
        guardian_dob = timeline.date_of(oldest + gap * YEAR + int(rng.random() * YEAR))

    email = email_for(rng, first, last) if rng.random() < 0.62 else None
    household = Household(
        id=account_id,
        key=account_id.hex,
        account_number=account_number,
        first_name=first,
        last_name=last,
        date_of_birth=guardian_dob,
        sex=sex,
        spanish=is_spanish,
        phone=phone,
        alt_phone=alt_phone,
        email=email,
        address=address,
        members=[],
    )
    group = f"{int(rng.random() * 1_000_000):06d}"
    base_member = f"{int(rng.random() * 1_000_000_000):09d}"
    primary_plan, second_plan = _insurance(catalog, rng, size, kids[0][4])
    since = timeline.date_of(760 + int(rng.random() * 5 * YEAR))
    for n, (kid_first, kid_last, born, kid_sex, rel) in enumerate(kids):
        patient_id = new_uuid(rng)
        member = Member(
            id=patient_id,
            key=patient_id.hex,
            mrn=str(first_mrn + n),
            first_name=kid_first,
            last_name=kid_last,
            date_of_birth=born,
            sex=kid_sex,
            relationship=rel,
            plans=[],
        )
        for priority, plan in enumerate((primary_plan, second_plan), start=1):
            if plan is not None:
                coverage = _coverage(
                    rng, book, household, member, plan, priority, group, base_member, since
                )
                member.plans.append(coverage)
        household.members.append(member)
    return household


def _insurance(
    catalog: Catalog, rng: random.Random, size: int, relationship: str
) -> tuple[PayerPlan | None, PayerPlan | None]:
    """The household's plans: self-pay, Medicaid, or commercial (sometimes with a second)."""
    medicaid_share = MEDICAID_SHARE
    if size == SELF:
        medicaid_share *= 0.6
    elif relationship != _CHILD:
        medicaid_share = 0.75  # kinship and foster care is mostly Medicaid
    r = rng.random()
    if r < SELF_PAY_SHARE:
        return None, None
    if r < SELF_PAY_SHARE + medicaid_share:
        return catalog.medicaid(rng), None
    primary = catalog.commercial(rng)
    if rng.random() >= SECONDARY_SHARE:
        return primary, None
    second = catalog.medicaid(rng) if rng.random() < 0.6 else catalog.commercial(rng)
    return primary, (None if second is primary else second)


def _last_name(rng: random.Random, book: NameBook, is_spanish: bool) -> str:
    last = book.last.pick(rng)
    if is_spanish and rng.random() < 0.12:  # both family names, as in Mexico
        second = book.last.pick(rng)
        if second != last:
            last = f"{last} {second}"
    return last


def _children(
    catalog: Catalog,
    rng: random.Random,
    book: NameBook,
    is_spanish: bool,
    size: int,
    family_name: str,
    relationship: str,
) -> list[tuple[str, str, date, str, str]]:
    """Siblings aged 2-20, oldest first, one to four years apart (now and then twins)."""
    timeline = catalog.timeline
    low, high = 2 * YEAR + 2, 21 * YEAR - 8
    age = low + (size - 1) * 420 + int(rng.random() * (high - low - (size - 1) * 420))
    kids: list[tuple[str, str, date, str, str]] = []
    last_name = family_name
    if relationship != _CHILD and rng.random() < 0.4:
        last_name = book.last.pick(rng)
    for i in range(size):
        if i:
            if rng.random() < 0.035:
                pass  # twins: same birthday
            else:
                age = max(low, age - 380 - int(rng.random() * 1_100))
        sex = "F" if rng.random() < 0.48 else "M"
        names = catalog.english if is_spanish and rng.random() < 0.35 else book
        kid_last = last_name
        if rng.random() < 0.07:  # a different father's name, or both parents' names
            other = names.last.pick(rng)
            kid_last = f"{last_name}-{other}" if rng.random() < 0.3 else other
        kids.append((names.first(rng, sex), kid_last, timeline.date_of(age), sex, relationship))
    return kids


def _coverage(
    rng: random.Random,
    book: NameBook,
    household: Household,
    member: Member,
    plan: PayerPlan,
    priority: int,
    group: str,
    base_member: str,
    since: date,
) -> Plan:
    dependent = len(household.members) + 1 if member.relationship != _SELF else 0
    if plan.kind == PayerKind.MEDICAID:
        member_id = f"5{int(rng.random() * 100_000_000):08d}{int(rng.random() * 10)}"
        subscriber, relationship, group_number = member.name, _SELF, None
        since = date(since.year, since.month, 1)
    elif priority == 1:
        member_id = f"{plan.member_prefix}{base_member}{dependent:02d}"
        subscriber = f"{household.first_name} {household.last_name}"
        relationship, group_number = member.relationship, f"G{group}"
    else:  # the other parent's plan
        member_id = f"{plan.member_prefix}{int(rng.random() * 1_000_000_000):09d}{dependent:02d}"
        other_sex = "M" if household.sex == "F" else "F"
        subscriber = f"{book.first(rng, other_sex)} {member.last_name}"
        relationship = member.relationship
        group_number = f"G{int(rng.random() * 1_000_000):06d}"
    return Plan(
        key=new_key(rng),
        plan=plan,
        priority=priority,
        member_id=member_id,
        group_number=group_number,
        subscriber_name=subscriber,
        subscriber_relationship=relationship,
        effective_from=max(member.date_of_birth, since),
    )
