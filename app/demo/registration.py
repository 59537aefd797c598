"""The registration records of a household: account, patients, lookup rows, coverages.

Written after the household's visits are billed, so that the account is opened before
its first visit and eligibility snapshots can show what a patient had met by then.
"""

from __future__ import annotations

import random
from typing import Any

from app.demo.catalog import Catalog
from app.demo.household import Household, Member, Plan
from app.demo.tables import Row, Rows, new_key
from app.domain.codes import BenefitsSource, PayerKind
from app.store.lookup_index import guarantor_row, patient_row

X12_271 = BenefitsSource.X12_271.value
CLEARINGHOUSE = BenefitsSource.CLEARINGHOUSE.value
SNAPSHOT_SHARE = 0.3  # of coverages of patients seen at least once


def register(catalog: Catalog, rng: random.Random, household: Household, out: Rows) -> None:
    timeline = catalog.timeline
    visit_days = [d for member in household.members for d in member.visit_days]
    opened_day = (max(visit_days) if visit_days else 1 + int(rng.random() * 900)) + 3
    opened_day += int(rng.random() * 30)
    opened_at = timeline.at(opened_day, 17, rng)
    address = household.address
    language = "es" if household.spanish and rng.random() < 0.45 else "en"
    out.guarantor_account.append(
        (
            household.key, household.account_number, household.first_name,
            household.last_name, household.date_of_birth.isoformat(), household.phone,
            household.alt_phone, household.email, address.line1, address.line2, address.city,
            address.state, address.postal_code, language, 1, opened_at, opened_at,
        )
    )  # fmt: skip
    guarantor = guarantor_row(
        account_id=household.id,
        account_number=household.account_number,
        first_name=household.first_name,
        last_name=household.last_name,
        date_of_birth=household.date_of_birth,
        phone_e164=household.phone,
    )
    out.person_lookup.append(_lookup_tuple(guarantor))
    for member in household.members:
        out.patient.append(
            (
                member.key, household.key, member.mrn, member.first_name, member.last_name,
                member.date_of_birth.isoformat(), member.sex, member.relationship, 1,
                opened_at, opened_at,
            )
        )  # fmt: skip
        lookup = patient_row(
            patient_id=member.id,
            account_id=household.id,
            account_number=household.account_number,
            mrn=member.mrn,
            first_name=member.first_name,
            last_name=member.last_name,
            date_of_birth=member.date_of_birth,
            phone_e164=None,
        )
        # A patient's lookup phone is the account's: reuse the key computed for the
        # guarantor instead of parsing the same number once more per child.
        lookup["phone_e164"], lookup["phone_rev"] = guarantor["phone_e164"], guarantor["phone_rev"]
        out.person_lookup.append(_lookup_tuple(lookup))
        for plan in member.plans:
            _coverage(catalog, rng, member, plan, opened_day, opened_at, out)


def _lookup_tuple(row: dict[str, Any]) -> Row:
    patient = row["patient_id"]
    return (
        row["id"].hex, row["role"].value, row["account_id"].hex,
        patient.hex if patient is not None else None, row["last_key"], row["first_key"],
        row["date_of_birth"].isoformat(), row["phone_rev"], row["account_number"], row["mrn"],
        row["first_name"], row["last_name"], row["phone_e164"],
    )  # fmt: skip


def _coverage(
    catalog: Catalog,
    rng: random.Random,
    member: Member,
    plan: Plan,
    opened_day: int,
    opened_at: str,
    out: Rows,
) -> None:
    timeline = catalog.timeline
    checked_day = (min(member.visit_days) + 1) if member.visit_days else opened_day
    verified_at = verified_by = source = None
    if member.visit_days or rng.random() < 0.5:
        verified_at = timeline.at(checked_day, 16, rng)
        if rng.random() < 0.8:
            verified_by, source = catalog.agent(rng), X12_271
        else:
            source = CLEARINGHOUSE
    payer = plan.plan
    out.coverage.append(
        (
            plan.key, member.key, catalog.payer_keys[payer.code], plan.priority,
            payer.plan_name, plan.member_id, plan.group_number, plan.subscriber_name,
            plan.subscriber_relationship, plan.effective_from.isoformat(), None, verified_at,
            verified_by, source, 1, opened_at, max(opened_at, verified_at or opened_at),
        )
    )  # fmt: skip
    if member.visit_days and rng.random() < SNAPSHOT_SHARE:
        out.benefits_snapshot.append(_snapshot(catalog, rng, member, plan, checked_day))


def _snapshot(catalog: Catalog, rng: random.Random, member: Member, plan: Plan, day: int) -> Row:
    """What a 271 said the day before the patient's latest visit."""
    timeline = catalog.timeline
    rules = plan.plan.rules
    year = timeline.year(day)
    prior = plan.prior.get(year, 0)
    deductible_met = prior + sum(h[2] for h in plan.history if h[0] >= day and h[1] == year)
    oop_met = prior + sum(h[3] for h in plan.history if h[0] >= day and h[1] == year)
    visits_used = sum(1 for d in member.visit_days if d > day and timeline.year(d) == year)
    captured_at = timeline.at(day, 16, rng)
    medicaid = plan.plan.kind == PayerKind.MEDICAID
    return (
        new_key(rng), plan.key, captured_at, X12_271, "MH", 1,
        timeline.day(timeline.year_start(day)), rules.deductible_cents,
        min(deductible_met, rules.deductible_cents), None if medicaid else rules.oop_max_cents,
        None if medicaid else oop_met, rules.copay_cents, rules.coinsurance_bp, 1,
        1 if rules.prior_auth else 0, rules.visits_allowed,
        visits_used if rules.visits_allowed else None,
        f"TRN*1*{rng.getrandbits(40):013d}", captured_at, captured_at,
    )  # fmt: skip
