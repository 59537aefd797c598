"""Who is who: desk users, guarantor accounts, patients, and the lookup projection."""

from __future__ import annotations

import uuid
from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.domain.codes import LookupRole, Relationship, Role
from app.store.models.base import Base, Keyed, Stamped, Versioned
from app.store.types import key_string

if TYPE_CHECKING:
    from app.store.models.coverage import Coverage


class User(Keyed, Stamped, Base):
    """A person who signs in to the desk."""

    __tablename__ = "app_user"

    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[Role]
    active: Mapped[bool] = mapped_column(default=True)


class GuarantorAccount(Keyed, Versioned, Base):
    """The responsible party and their account; in pediatrics usually a parent."""

    __tablename__ = "guarantor_account"

    account_number: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[date | None]
    phone_e164: Mapped[str | None] = mapped_column(String(20))
    alt_phone_e164: Mapped[str | None] = mapped_column(String(20))
    email: Mapped[str | None] = mapped_column(String(254))
    address_line1: Mapped[str | None] = mapped_column(String(120))
    address_line2: Mapped[str | None] = mapped_column(String(120))
    city: Mapped[str | None] = mapped_column(String(80))
    state: Mapped[str | None] = mapped_column(String(2))
    postal_code: Mapped[str | None] = mapped_column(String(10))
    preferred_language: Mapped[str] = mapped_column(String(8), default="en")

    patients: Mapped[list[Patient]] = relationship(
        back_populates="account", order_by="Patient.date_of_birth"
    )


class Patient(Keyed, Versioned, Base):
    __tablename__ = "patient"

    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"), index=True)
    mrn: Mapped[str] = mapped_column(String(20), unique=True)
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    date_of_birth: Mapped[date]
    sex: Mapped[str | None] = mapped_column(String(1))
    relationship_to_guarantor: Mapped[Relationship]

    account: Mapped[GuarantorAccount] = relationship(back_populates="patients")
    coverages: Mapped[list[Coverage]] = relationship(
        back_populates="patient", order_by="Coverage.priority"
    )


class PersonLookup(Base):
    """One row per patient and per guarantor with the keys the search box needs.

    A projection of ``patient`` and ``guarantor_account`` kept in the same transaction
    as every write to them; each search kind is one btree range over this table.
    """

    __tablename__ = "person_lookup"

    id: Mapped[uuid.UUID] = mapped_column(primary_key=True)  # the patient's or account's id
    role: Mapped[LookupRole]
    account_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("guarantor_account.id"))
    patient_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("patient.id"))
    last_key: Mapped[str] = mapped_column(key_string(80))
    first_key: Mapped[str] = mapped_column(key_string(80))
    date_of_birth: Mapped[date | None]
    phone_rev: Mapped[str | None] = mapped_column(key_string(16))
    account_number: Mapped[str] = mapped_column(key_string(20))
    mrn: Mapped[str | None] = mapped_column(key_string(20))
    # What the result row shows, so a search needs no join.
    first_name: Mapped[str] = mapped_column(String(80))
    last_name: Mapped[str] = mapped_column(String(80))
    phone_e164: Mapped[str | None] = mapped_column(String(20))

    __table_args__ = (
        # Each index ends with ``id`` so that "top 20 in name order" stops after 20 rows.
        Index("ix_person_lookup_last_first", "last_key", "first_key", "date_of_birth", "id"),
        Index("ix_person_lookup_first_last", "first_key", "last_key", "date_of_birth", "id"),
        Index("ix_person_lookup_dob", "date_of_birth", "last_key", "first_key", "id"),
        Index("ix_person_lookup_phone_rev", "phone_rev"),
        Index("ix_person_lookup_account_number", "account_number"),
        Index("ix_person_lookup_mrn", "mrn"),
        Index("ix_person_lookup_account_id", "account_id"),
    )
