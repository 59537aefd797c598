"""Patient lookup queries: each criterion of a parsed query is one btree range.

``find_people`` answers a :class:`~app.domain.lookup.LookupQuery` with at most ``limit``
rows, criterion by criterion, in the parser's priority order. ``naive=True`` runs the
very same criteria as ``LIKE`` scans over expressions no index can serve; the lookup
benchmark uses it as the baseline and checks that both give the same rows.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from datetime import date
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Row,
    String,
    and_,
    cast,
    func,
    literal,
    select,
)

from app.domain.lookup import Criterion, Field, LookupQuery
from app.domain.names import prefix_upper_bound
from app.store.models import GuarantorAccount, LedgerEntry, PersonLookup

P = PersonLookup.__table__.c
_COLUMNS = (
    P.id,
    P.role,
    P.account_id,
    P.patient_id,
    P.first_name,
    P.last_name,
    P.date_of_birth,
    P.account_number,
    P.mrn,
    P.phone_e164,
)
_BY_LAST = (P.last_key, P.first_key, P.date_of_birth, P.id)
_BY_FIRST = (P.first_key, P.last_key, P.date_of_birth, P.id)
_BY_DOB = (P.date_of_birth, P.last_key, P.first_key, P.id)


def find_people(
    conn: Connection, query: LookupQuery, limit: int = 20, *, naive: bool = False
) -> list[Row[Any]]:
    """The first ``limit`` people matching ``query``, best criterion first, no duplicates."""
    found: list[Row[Any]] = []
    seen: set[uuid.UUID] = set()
    for criterion in query.criteria:
        remaining = limit - len(found)
        if remaining <= 0:
            break
        stmt = _statement(criterion, remaining + len(seen), naive)
        for row in conn.execute(stmt):
            if row.id in seen:
                continue
            seen.add(row.id)
            found.append(row)
            if len(found) == limit:
                break
    return found


def balances(conn: Connection, account_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, int]:
    """Each account's balance in cents: the sum of its ledger, nothing typed in."""
    ids = list(set(account_ids))
    if not ids:
        return {}
    stmt = (
        select(LedgerEntry.account_id, func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
        .where(LedgerEntry.account_id.in_(ids))
        .group_by(LedgerEntry.account_id)
    )
    totals = {account_id: 0 for account_id in ids}
    totals.update({account_id: int(total) for account_id, total in conn.execute(stmt)})
    return totals


def account_exists(conn: Connection, account_id: uuid.UUID) -> bool:
    stmt = select(GuarantorAccount.id).where(GuarantorAccount.id == account_id)
    return conn.execute(stmt).first() is not None


def _statement(criterion: Criterion, limit: int, naive: bool) -> Any:
    where, order = _where(criterion, naive)
    if naive:  # no index may serve the order either, so the scan cannot stop early
        order = [_opaque(column) for column in order]
    stmt = select(*_COLUMNS).where(and_(*where)).order_by(*order).limit(limit)
    if criterion.field in (Field.PHONE, Field.PHONE_SUFFIX) and not naive:
        # A phone ending matches a few hundred rows scattered over the name order:
        # filter them by the phone index first, then sort that handful.
        matched = (
            select(PersonLookup.__table__)
            .where(and_(*where))
            .cte("phone_match")
            .prefix_with("MATERIALIZED")
        )
        m = matched.c
        stmt = (
            select(*(m[c.name] for c in _COLUMNS))
            .order_by(m.last_key, m.first_key, m.date_of_birth, m.id)
            .limit(limit)
        )
    return stmt


def _where(criterion: Criterion, naive: bool) -> tuple[list[ColumnElement[bool]], Sequence[Any]]:
    field = criterion.field
    if field is Field.ACCOUNT:
        return [_equals(P.account_number, criterion.account, naive)], (P.role, *_BY_LAST)
    if field is Field.MRN:
        return [_equals(P.mrn, criterion.mrn, naive)], _BY_LAST
    if field in (Field.PHONE, Field.PHONE_SUFFIX):
        assert criterion.phone_suffix is not None
        if naive:
            return [P.phone_e164.like("%" + _escape(criterion.phone_suffix), escape="\\")], _BY_LAST
        return [_prefix(P.phone_rev, criterion.phone_suffix[::-1], naive=False)], _BY_LAST
    if field is Field.DOB:
        return [_same_day(criterion.dob, naive)], _BY_DOB
    where: list[ColumnElement[bool]] = []
    if criterion.last:
        where.append(_prefix(P.last_key, criterion.last, naive))
    if criterion.first:
        where.append(_prefix(P.first_key, criterion.first, naive))
    if criterion.dob is not None:
        where.append(_same_day(criterion.dob, naive))
    return where, (_BY_FIRST if criterion.by_first else _BY_LAST)


def _prefix(column: Any, prefix: str, naive: bool) -> ColumnElement[bool]:
    if naive:
        like: ColumnElement[bool] = _opaque(column).like(_escape(prefix) + "%", escape="\\")
        return like
    return and_(column >= prefix, column < prefix_upper_bound(prefix))


def _equals(column: Any, value: str | None, naive: bool) -> ColumnElement[bool]:
    if naive:
        like: ColumnElement[bool] = _opaque(column).like(_escape(value or ""), escape="\\")
        return like
    return column == value  # type: ignore[no-any-return]


def _same_day(day: date | None, naive: bool) -> ColumnElement[bool]:
    if naive:
        return cast(P.date_of_birth, String).like(day.isoformat() if day else "")
    return P.date_of_birth == day


def _opaque(column: Any) -> Any:
    """The column as an expression no index can serve (the baseline's full scan)."""
    return column.concat(literal(""))


def _escape(term: str) -> str:
    return term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
