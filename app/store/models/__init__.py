"""All tables. Import from here so every model is registered on ``Base.metadata``."""

from app.store.models.audit import AuditEvent
from app.store.models.base import Base
from app.store.models.calls import HoldSegment, Interaction, InteractionEvent
from app.store.models.care import Encounter, ProcedureLine
from app.store.models.claims import AdjudicationLine, Claim, LineAdjustment
from app.store.models.coverage import BenefitsSnapshot, Coverage, Payer
from app.store.models.ledger import AdjustmentRequest, LedgerEntry, Payment, Statement
from app.store.models.people import GuarantorAccount, Patient, PersonLookup, User
from app.store.models.plans import PaymentPlan, PlanInstallment
from app.store.models.sync import CentralPolicy, OutboxItem, SyncConflict, SyncLog, SyncState
from app.store.models.work import AccountNote, AssistanceApplication, Dispute, Task

__all__ = [
    "AccountNote",
    "AdjudicationLine",
    "AdjustmentRequest",
    "AssistanceApplication",
    "AuditEvent",
    "Base",
    "BenefitsSnapshot",
    "CentralPolicy",
    "Claim",
    "Coverage",
    "Dispute",
    "Encounter",
    "GuarantorAccount",
    "HoldSegment",
    "Interaction",
    "InteractionEvent",
    "LedgerEntry",
    "LineAdjustment",
    "OutboxItem",
    "Patient",
    "Payer",
    "Payment",
    "PaymentPlan",
    "PersonLookup",
    "PlanInstallment",
    "ProcedureLine",
    "Statement",
    "SyncConflict",
    "SyncLog",
    "SyncState",
    "Task",
    "User",
]
