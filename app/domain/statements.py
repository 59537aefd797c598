""" "Why is this different from my bill?": what moved between a statement and today.

The statement printed a balance as of an instant; every ledger entry posted after that
instant is a change, grouped the way a caller thinks of them (their payments, the
insurance's payments, adjustments, new visits, refunds). The printed balance plus the
changes is today's balance, to the cent, or the difference is said out loud. Today's
figures come from the explainer, so a claim still with insurance is never called due,
whatever the paper said.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

from app.domain.codes import LedgerKind
from app.domain.explain import AccountExplanation
from app.domain.money import format_usd

# Groups in the order an agent reads them.
GROUPS = ("you_paid", "insurance_paid", "plan_adjusted", "new_charges", "refunds", "other")
_GROUP_OF = {
    LedgerKind.PATIENT_PAYMENT: "you_paid",
    LedgerKind.INSURANCE_PAYMENT: "insurance_paid",
    LedgerKind.CONTRACTUAL_ADJUSTMENT: "plan_adjusted",
    LedgerKind.CHARGE: "new_charges",
    LedgerKind.REFUND: "refunds",
}
_WORDS = {
    "en": {
        "you_paid": "you paid {}",
        "insurance_paid": "insurance paid {}",
        "plan_adjusted": "the plan adjusted {}",
        "new_charges": "new visits added {}",
        "refunds": "refunds added back {}",
        "other": "other adjustments came to {}",
    },
    "es": {
        "you_paid": "usted pagó {}",
        "insurance_paid": "el seguro pagó {}",
        "plan_adjusted": "el plan ajustó {}",
        "new_charges": "nuevas visitas sumaron {}",
        "refunds": "reembolsos sumaron {}",
        "other": "otros ajustes sumaron {}",
    },
}


@dataclass(frozen=True)
class Change:
    kind: LedgerKind
    cents: int
    on: date


@dataclass(frozen=True)
class StatementComparison:
    statement_date: date
    printed_cents: int
    groups: dict[str, int]  # signed cents by group (payments negative)
    balance_now: int
    with_insurance_now: int
    due_now: int

    @property
    def changed_by(self) -> int:
        return sum(self.groups.values())

    @property
    def unexplained(self) -> int:
        """What the paper and the ledger disagree on beyond the changes (should be 0)."""
        return self.balance_now - self.printed_cents - self.changed_by


def compare_statement(
    statement_date: date,
    printed_cents: int,
    changes: Iterable[Change],
    now: AccountExplanation,
) -> StatementComparison:
    groups = dict.fromkeys(GROUPS, 0)
    for change in changes:
        groups[_GROUP_OF.get(change.kind, "other")] += change.cents
    return StatementComparison(
        statement_date=statement_date,
        printed_cents=printed_cents,
        groups=groups,
        balance_now=now.balance,
        with_insurance_now=now.with_insurance,
        due_now=now.due_now,
    )


def comparison_words(comparison: StatementComparison, lang: str = "en") -> str:
    words = _WORDS[lang]
    es = lang == "es"
    when = comparison.statement_date.strftime("%m/%d/%Y")
    printed = format_usd(comparison.printed_cents)
    parts = [
        words[group].format(format_usd(abs(cents)))
        for group, cents in comparison.groups.items()
        if cents
    ]
    head = (
        f"Su estado de cuenta del {when} decía {printed}."
        if es
        else f"Your statement of {when} said {printed}."
    )
    if parts:
        head += (" Desde entonces, " if es else " Since then, ") + ", ".join(parts) + "."
    else:
        head += " Nada ha cambiado desde entonces." if es else " Nothing has changed since."
    now = format_usd(comparison.balance_now)
    tail = f" Hoy el saldo es {now}" if es else f" Today the balance is {now}"
    if comparison.with_insurance_now:
        insurance = format_usd(comparison.with_insurance_now)
        due = format_usd(max(comparison.due_now, 0))
        tail += (
            f": {insurance} todavía está con su seguro y {due} se debe ahora."
            if es
            else f": {insurance} is still with your insurance and {due} is due now."
        )
    else:
        tail += "."
    if comparison.unexplained:
        gap = format_usd(abs(comparison.unexplained))
        tail += (
            f" Hay {gap} que no se explica por los movimientos: revise la cuenta."
            if es
            else f" {gap} is not explained by the entries since: please review the account."
        )
    return head + tail
