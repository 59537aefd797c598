"""The business's closed vocabularies. Stored by value, so renaming a member is a migration."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    AGENT = "agent"
    LEAD = "lead"
    TRAINEE = "trainee"
    ADMIN = "admin"


class Relationship(StrEnum):
    """Who a person is to the guarantor (X12 individual relationship, simplified)."""

    SELF = "self"
    CHILD = "child"
    SPOUSE = "spouse"
    WARD = "ward"
    OTHER = "other"


class CallerRelationship(StrEnum):
    """Who the caller is to the patient they call about (pediatric: usually a parent)."""

    SELF = "self"
    PARENT = "parent"
    GUARDIAN = "guardian"
    SPOUSE = "spouse"
    OTHER = "other"  # named on the account as allowed to discuss it


class PayerKind(StrEnum):
    COMMERCIAL = "commercial"
    MEDICAID = "medicaid"
    MEDICARE = "medicare"
    TRICARE = "tricare"
    SELF_PAY = "self_pay"


class BenefitsSource(StrEnum):
    X12_271 = "x12_271"
    CLEARINGHOUSE = "clearinghouse"
    PORTAL = "portal"
    PHONE = "phone"
    MANUAL = "manual"


class ClaimStatus(StrEnum):
    SUBMITTED = "submitted"  # with insurance, not yet the patient's to pay
    ADJUDICATED = "adjudicated"
    DENIED = "denied"
    REVERSED = "reversed"


class GroupCode(StrEnum):
    """X12 claim adjustment group codes."""

    CO = "CO"  # contractual obligation: the provider writes it off
    PR = "PR"  # patient responsibility
    OA = "OA"  # other adjustment
    PI = "PI"  # payer initiated
    CR = "CR"  # correction and reversal (4010)


class LedgerKind(StrEnum):
    """Append-only ledger entries. Charges are positive, credits negative."""

    CHARGE = "charge"
    INSURANCE_PAYMENT = "insurance_payment"
    CONTRACTUAL_ADJUSTMENT = "contractual_adjustment"
    PATIENT_PAYMENT = "patient_payment"
    PATIENT_ADJUSTMENT = "patient_adjustment"
    REFUND = "refund"
    WRITE_OFF = "write_off"
    TRANSFER = "transfer"
    REVERSAL = "reversal"


class PaymentMethod(StrEnum):
    CARD = "card"
    ACH = "ach"
    CHECK = "check"
    CASH = "cash"


class PaymentStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    VOIDED = "voided"
    REFUNDED = "refunded"
    RETURNED = "returned"  # an ACH debit the bank sent back (R01, R02, ...)


class PlanStatus(StrEnum):
    ACTIVE = "active"
    PAUSED = "paused"
    COMPLETED = "completed"
    CANCELLED = "cancelled"
    DEFAULTED = "defaulted"


class InstallmentStatus(StrEnum):
    SCHEDULED = "scheduled"
    PAID = "paid"
    DECLINED = "declined"
    SKIPPED = "skipped"


class InteractionEventKind(StrEnum):
    START = "start"
    VERIFY = "verify"
    VERIFY_FAILED = "verify_failed"
    HOLD = "hold"
    WARN = "warn"  # 2:30 without an update: the desk asked the agent to check in
    CHECK_IN = "check_in"
    BREACH = "breach"
    RESUME = "resume"
    TRANSFER = "transfer"
    END = "end"  # the caller is gone; after-call work starts
    WRAP_UP = "wrap_up"  # disposition and notes saved
    RECORDING_PAUSED = "recording_paused"  # secure mode (card fields open)
    RECORDING_RESUMED = "recording_resumed"


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class DisputeStatus(StrEnum):
    OPEN = "open"
    ESCALATED = "escalated"
    RESOLVED = "resolved"
    REJECTED = "rejected"


class AssistanceStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"
    DENIED = "denied"


class LookupRole(StrEnum):
    """Whether a lookup row is a patient or the guarantor of the account."""

    PATIENT = "patient"
    GUARANTOR = "guarantor"
