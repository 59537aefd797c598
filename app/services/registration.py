"""Registering a guarantor account and its patients (also how tests build their data)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from app.domain.codes import Relationship
from app.domain.phones import to_e164
from app.store.lookup_index import refresh_account
from app.store.models import GuarantorAccount, Patient


class InvalidRegistration(ValueError):
    """Input the desk refuses; ``field`` names the form field to mark."""

    def __init__(self, field_name: str, message: str) -> None:
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class NewPatient:
    first_name: str
    last_name: str
    date_of_birth: date
    mrn: str
    relationship: Relationship = Relationship.CHILD
    sex: str | None = None


@dataclass(frozen=True)
class NewAccount:
    account_number: str
    first_name: str
    last_name: str
    phone: str | None = None
    date_of_birth: date | None = None
    address_line1: str | None = None
    city: str | None = None
    state: str | None = None
    postal_code: str | None = None
    email: str | None = None
    preferred_language: str = "en"
    patients: list[NewPatient] = field(default_factory=list)


def register_account(session: Session, new: NewAccount) -> GuarantorAccount:
    """Create the account and its patients, and index them for lookup, in one transaction."""
    phone = None
    if new.phone:
        phone = to_e164(new.phone)
        if phone is None:
            raise InvalidRegistration("phone", "Not a valid phone number")
    if not new.last_name.strip() or not new.first_name.strip():
        raise InvalidRegistration("name", "First and last name are required")
    account = GuarantorAccount(
        account_number=new.account_number,
        first_name=new.first_name.strip(),
        last_name=new.last_name.strip(),
        date_of_birth=new.date_of_birth,
        phone_e164=phone,
        address_line1=new.address_line1,
        city=new.city,
        state=new.state,
        postal_code=new.postal_code,
        email=new.email,
        preferred_language=new.preferred_language,
    )
    for p in new.patients:
        account.patients.append(
            Patient(
                mrn=p.mrn,
                first_name=p.first_name.strip(),
                last_name=p.last_name.strip(),
                date_of_birth=p.date_of_birth,
                sex=p.sex,
                relationship_to_guarantor=p.relationship,
            )
        )
    session.add(account)
    refresh_account(session, account)
    return account
