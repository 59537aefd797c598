"""Opening an account: what the account view shows, and the audit event it leaves."""

from __future__ import annotations

import uuid
from datetime import date

from sqlalchemy.orm import Session

from app.domain.aging import oldest_open_charge
from app.domain.dates import age_label
from app.domain.phones import display
from app.services.errors import AccountNotFound
from app.services.views import AccountDetail, CoverageInfo, PatientInfo, UserInfo
from app.store.accounts import account_figures, load_account
from app.store.models import AuditEvent, GuarantorAccount
from app.store.types import utcnow


def open_account(
    session: Session,
    account_id: uuid.UUID,
    today: date,
    user: UserInfo,
    workstation: str,
    *,
    patient_id: uuid.UUID | None = None,
) -> AccountDetail:
    """Load the account view and record, in the same transaction, that it was opened:
    who, from which workstation, which account and patient, what was shown, when."""
    account = load_account(session, account_id)
    if account is None:
        raise AccountNotFound(str(account_id))
    detail = _detail(session, account, today)
    session.add(
        AuditEvent(
            occurred_at=utcnow(),
            user_id=user.id,
            workstation=workstation,
            action="account.open",
            account_id=account.id,
            patient_id=patient_id if any(p.id == patient_id for p in account.patients) else None,
            detail="account view: demographics, patients, coverage, balance",
        )
    )
    return detail


def _detail(session: Session, account: GuarantorAccount, today: date) -> AccountDetail:
    figures = account_figures(session, account.id)
    patients = tuple(
        PatientInfo(
            id=p.id,
            name=f"{p.last_name}, {p.first_name}",
            date_of_birth=p.date_of_birth,
            age=age_label(p.date_of_birth, today),
            mrn=p.mrn,
            relationship=str(p.relationship_to_guarantor),
            balance_cents=figures.by_patient_cents.get(p.id, 0),
        )
        for p in account.patients
    )
    coverages = tuple(
        CoverageInfo(
            patient_id=p.id,
            patient_name=f"{p.first_name} {p.last_name}",
            priority=c.priority,
            payer_name=c.payer.name,
            payer_kind=str(c.payer.kind),
            plan_name=c.plan_name,
            member_id=c.member_id,
            group_number=c.group_number,
            subscriber_name=c.subscriber_name,
            effective_from=c.effective_from,
            effective_to=c.effective_to,
            verified_at=c.verified_at,
            verification_source=str(c.verification_source) if c.verification_source else None,
        )
        for p in account.patients
        for c in p.coverages
    )
    street = ", ".join(x for x in (account.address_line1, account.address_line2) if x)
    city = " ".join(
        x
        for x in (f"{account.city}," if account.city else None, account.state, account.postal_code)
        if x
    )
    return AccountDetail(
        id=account.id,
        account_number=account.account_number,
        guarantor_name=f"{account.last_name}, {account.first_name}",
        guarantor_dob=account.date_of_birth,
        phone=display(account.phone_e164),
        alt_phone=display(account.alt_phone_e164),
        email=account.email,
        address=", ".join(x for x in (street, city) if x),
        preferred_language=account.preferred_language,
        patients=patients,
        coverages=coverages,
        balance_cents=figures.balance_cents,
        pending_insurance_cents=figures.pending_insurance_cents,
        last_payment_cents=figures.last_payment[1] if figures.last_payment else None,
        last_payment_on=figures.last_payment[0] if figures.last_payment else None,
        oldest_open_charge_on=oldest_open_charge(figures.charges, figures.credits_cents),
    )
