"""Keeping ``person_lookup`` in step with patients and guarantors.

Every write of a patient or guarantor goes through these functions in the same
transaction, so the search never disagrees with the record. Bulk loaders (demo data,
imports) call the ``*_row`` functions to build the rows themselves.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

from sqlalchemy import delete
from sqlalchemy.orm import Session

from app.domain.codes import LookupRole
from app.domain.names import name_key
from app.domain.phones import suffix_key
from app.store.models import GuarantorAccount, Patient, PersonLookup


def guarantor_row(
    *,
    account_id: uuid.UUID,
    account_number: str,
    first_name: str,
    last_name: str,
    date_of_birth: date | None,
    phone_e164: str | None,
) -> dict[str, Any]:
    """The lookup row of a guarantor (the caller is usually the guarantor)."""
    return {
        "id": account_id,
        "role": LookupRole.GUARANTOR,
        "account_id": account_id,
        "patient_id": None,
        "last_key": name_key(last_name),
        "first_key": name_key(first_name),
        "date_of_birth": date_of_birth,
        "phone_rev": suffix_key(phone_e164) if phone_e164 else None,
        "account_number": account_number,
        "mrn": None,
        "first_name": first_name,
        "last_name": last_name,
        "phone_e164": phone_e164,
    }


def patient_row(
    *,
    patient_id: uuid.UUID,
    account_id: uuid.UUID,
    account_number: str,
    mrn: str,
    first_name: str,
    last_name: str,
    date_of_birth: date,
    phone_e164: str | None,
) -> dict[str, Any]:
    """The lookup row of a patient; the phone is the account's (children rarely call)."""
    return {
        "id": patient_id,
        "role": LookupRole.PATIENT,
        "account_id": account_id,
        "patient_id": patient_id,
        "last_key": name_key(last_name),
        "first_key": name_key(first_name),
        "date_of_birth": date_of_birth,
        "phone_rev": suffix_key(phone_e164) if phone_e164 else None,
        "account_number": account_number,
        "mrn": mrn,
        "first_name": first_name,
        "last_name": last_name,
        "phone_e164": phone_e164,
    }


def account_rows(account: GuarantorAccount) -> list[dict[str, Any]]:
    """The lookup rows of an account: its guarantor and each of its patients."""
    rows = [
        guarantor_row(
            account_id=account.id,
            account_number=account.account_number,
            first_name=account.first_name,
            last_name=account.last_name,
            date_of_birth=account.date_of_birth,
            phone_e164=account.phone_e164,
        )
    ]
    patient: Patient
    for patient in account.patients:
        rows.append(
            patient_row(
                patient_id=patient.id,
                account_id=account.id,
                account_number=account.account_number,
                mrn=patient.mrn,
                first_name=patient.first_name,
                last_name=patient.last_name,
                date_of_birth=patient.date_of_birth,
                phone_e164=account.phone_e164,
            )
        )
    return rows


def refresh_account(session: Session, account: GuarantorAccount) -> None:
    """Rewrite the lookup rows of an account and its patients after any change to them."""
    session.flush()
    session.execute(delete(PersonLookup).where(PersonLookup.account_id == account.id))
    session.add_all(PersonLookup(**row) for row in account_rows(account))
    session.flush()
