"""Account notes and ledger postings: the first writes that sync between desks."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.domain.codes import LedgerKind
from app.domain.ledger import InvalidPosting, check_posting
from app.services.errors import AccountNotFound
from app.services.views import UserInfo
from app.store.models import AccountNote, GuarantorAccount, LedgerEntry, User
from app.store.types import utcnow

MAX_NOTE_CHARS = 4_000


class InvalidNote(ValueError):
    """A note the desk will not save; the message says why (and quotes nothing)."""


@dataclass(frozen=True)
class NoteInfo:
    id: uuid.UUID
    written_at: datetime
    author: str
    workstation: str
    body: str


def add_note(
    session: Session,
    account_id: uuid.UUID,
    body: str,
    user: UserInfo,
    workstation: str,
    *,
    patient_id: uuid.UUID | None = None,
) -> NoteInfo:
    text = body.strip()
    if not text:
        raise InvalidNote("the note is empty")
    if len(text) > MAX_NOTE_CHARS:
        raise InvalidNote(f"a note holds at most {MAX_NOTE_CHARS:,} characters")
    if session.get(GuarantorAccount, account_id) is None:
        raise AccountNotFound(str(account_id))
    note = AccountNote(
        id=uuid.uuid4(),
        account_id=account_id,
        patient_id=patient_id,
        author_id=user.id,
        workstation=workstation,
        written_at=utcnow(),
        body=text,
    )
    session.add(note)
    return NoteInfo(note.id, note.written_at, user.display_name, workstation, text)


def account_notes(session: Session, account_id: uuid.UUID, limit: int = 50) -> list[NoteInfo]:
    rows = session.execute(
        select(AccountNote, User.display_name)
        .outerjoin(User, User.id == AccountNote.author_id)
        .where(AccountNote.account_id == account_id)
        .order_by(AccountNote.written_at.desc())
        .limit(limit)
    ).all()
    return [NoteInfo(n.id, n.written_at, author or "", n.workstation, n.body) for n, author in rows]


def post_entry(
    session: Session,
    account_id: uuid.UUID,
    kind: LedgerKind,
    amount_cents: int,
    user: UserInfo,
    *,
    effective: date,
    patient_id: uuid.UUID | None = None,
    memo: str | None = None,
    reverses_id: uuid.UUID | None = None,
) -> uuid.UUID:
    """Append one ledger entry (the checks of :func:`app.domain.ledger.check_posting`)."""
    check_posting(kind, amount_cents, reverses=reverses_id is not None)
    if session.get(GuarantorAccount, account_id) is None:
        raise AccountNotFound(str(account_id))
    if memo is not None and len(memo) > 200:
        raise InvalidPosting("a memo holds at most 200 characters")
    entry = LedgerEntry(
        id=uuid.uuid4(),
        account_id=account_id,
        patient_id=patient_id,
        reverses_id=reverses_id,
        kind=kind,
        amount_cents=amount_cents,
        effective_date=effective,
        posted_at=utcnow(),
        posted_by_id=user.id,
        memo=memo,
    )
    session.add(entry)
    return entry.id
