"""The explainer in words an agent reads aloud, in English and Spanish.

Every amount in a sentence is a field of the same :class:`VisitExplanation` or
:class:`AccountExplanation` the table shows, so the words can never disagree with it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.explain import AccountExplanation, VisitExplanation
from app.domain.money import format_usd

LANGUAGES = ("en", "es")
_MONTHS = {
    "en": ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December"),
    "es": ("enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto",
           "septiembre", "octubre", "noviembre", "diciembre"),
}  # fmt: skip


@dataclass(frozen=True)
class Deductible:
    """Where the patient stands on the plan year's deductible (from the 271 snapshot)."""

    limit_cents: int
    met_cents: int

    @property
    def remaining_cents(self) -> int:
        return max(self.limit_cents - self.met_cents, 0)


def _usd(cents: int | None) -> str:
    return format_usd(cents or 0)


def _day(value: date, lang: str) -> str:
    month = _MONTHS[lang][value.month - 1]
    if lang == "es":
        return f"el {value.day} de {month} de {value.year}"
    return f"{month} {value.day}, {value.year}"


def _join(parts: list[str], lang: str) -> str:
    word = " y " if lang == "es" else " and "
    if len(parts) <= 1:
        return "".join(parts)
    return ", ".join(parts[:-1]) + word + parts[-1]


def visit_script(
    visit: VisitExplanation, lang: str = "en", *, deductible: Deductible | None = None
) -> str:
    """A few sentences about one visit, for reading aloud."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    es = lang == "es"
    sentences = [
        (
            f"{_day(visit.service_date, lang).capitalize()}, {visit.patient} tuvo una "
            f"consulta con {visit.provider}."
            if es
            else f"On {_day(visit.service_date, lang)}, {visit.patient} saw {visit.provider}."
        )
    ]
    if visit.with_insurance:
        sentences.append(
            f"La visita se facturó por {_usd(visit.billed)} y su seguro todavía la está "
            "procesando: por ahora no debe nada por esta visita."
            if es
            else f"The visit was billed {_usd(visit.billed)} and your insurance is still "
            "processing it, so nothing is due for it yet."
        )
        return " ".join(sentences)
    if visit.self_pay:
        sentences.append(
            f"Esta visita no se facturó a un seguro: el cargo de {_usd(visit.billed)} es suyo."
            if es
            else f"This visit was not billed to insurance: the {_usd(visit.billed)} charge is"
            " yours."
        )
        return " ".join([*sentences, *_after_share(visit, lang)])
    paid = visit.insurance_paid - visit.secondary_paid  # the first plan's payment
    if visit.allowed is not None:
        plan = (
            f"su plan aprobó {_usd(visit.allowed)} y pagó {_usd(paid)}"
            if es
            else f"your plan allowed {_usd(visit.allowed)} and paid {_usd(paid)}"
        )
    else:
        plan = f"su plan pagó {_usd(paid)}" if es else f"your plan paid {_usd(paid)}"
    sentences.append(
        f"La visita se facturó por {_usd(visit.billed)}; {plan}."
        if es
        else f"The visit was billed {_usd(visit.billed)}; {plan}."
    )
    parts = _share_parts(visit, lang, deductible)
    share = _usd(visit.patient_share + visit.secondary_paid)
    if parts:
        sentences.append(
            f"Su parte es {share}: {_join(parts, lang)}."
            if es
            else f"Your share is {share}: {_join(parts, lang)}."
        )
    else:
        sentences.append(f"Su parte es {share}." if es else f"Your share is {share}.")
    if visit.secondary_paid:
        left = _usd(visit.patient_share)
        sentences.append(
            f"Su segundo seguro pagó {_usd(visit.secondary_paid)} de eso; quedan {left}."
            if es
            else f"Your second insurance paid {_usd(visit.secondary_paid)} of it, leaving {left}."
        )
    return " ".join([*sentences, *_after_share(visit, lang)])


def _after_share(visit: VisitExplanation, lang: str) -> list[str]:
    """Payments, adjustments and what is left, for any visit."""
    es = lang == "es"
    sentences: list[str] = []
    if visit.patient_paid:
        sentences.append(
            f"Usted ya pagó {_usd(visit.patient_paid)}."
            if es
            else f"You have paid {_usd(visit.patient_paid)}."
        )
    if visit.patient_adjusted:
        sentences.append(
            f"Se le aplicó un ajuste de {_usd(visit.patient_adjusted)}."
            if es
            else f"An adjustment of {_usd(visit.patient_adjusted)} was applied for you."
        )
    if visit.credit_applied:
        sentences.append(
            f"Un pago a su cuenta cubrió {_usd(visit.credit_applied)}."
            if es
            else f"A payment on your account covered {_usd(visit.credit_applied)} of it."
        )
    if visit.owed > 0:
        sentences.append(
            f"Queda {_usd(visit.owed)} por esta visita."
            if es
            else f"{_usd(visit.owed)} is still owed for this visit."
        )
    elif visit.owed < 0:
        sentences.append(
            f"Esta visita tiene un crédito de {_usd(-visit.owed)}."
            if es
            else f"This visit has a credit of {_usd(-visit.owed)}."
        )
    else:
        sentences.append("Esta visita está pagada." if es else "This visit is paid in full.")
    return sentences


def _share_parts(visit: VisitExplanation, lang: str, deductible: Deductible | None) -> list[str]:
    es = lang == "es"
    s = visit.share
    parts: list[str] = []
    if s.deductible:
        text = f"{_usd(s.deductible)} " + (
            "fue a su deducible" if es else "went toward your deductible"
        )
        if deductible is not None:
            limit = _usd(deductible.limit_cents)
            if deductible.remaining_cents == 0:
                text = f"{_usd(s.deductible)} " + (
                    f"fue a su deducible de {limit}, que ya está cubierto"
                    if es
                    else f"went toward your {limit} deductible, which is now met"
                )
            else:
                left = _usd(deductible.remaining_cents)
                text = f"{_usd(s.deductible)} " + (
                    f"fue a su deducible de {limit} (faltan {left})"
                    if es
                    else f"went toward your {limit} deductible ({left} still to meet)"
                )
        parts.append(text)
    if s.coinsurance:
        parts.append(
            f"{_usd(s.coinsurance)} es su coseguro"
            if es
            else f"{_usd(s.coinsurance)} is coinsurance"
        )
    if s.copay:
        parts.append(f"{_usd(s.copay)} es su copago" if es else f"{_usd(s.copay)} is your copay")
    if s.noncovered:
        parts.append(
            f"{_usd(s.noncovered)} no lo cubre su plan"
            if es
            else f"{_usd(s.noncovered)} is not covered by your plan"
        )
    if s.other_pr:
        parts.append(
            f"{_usd(s.other_pr)} por otros motivos del plan"
            if es
            else f"{_usd(s.other_pr)} for other plan reasons"
        )
    if visit.share_unexplained:
        parts.append(
            f"{_usd(visit.share_unexplained)} aún sin detalle del plan"
            if es
            else f"{_usd(visit.share_unexplained)} the plan has not itemized yet"
        )
    return parts


def account_summary(account: AccountExplanation, lang: str = "en") -> str:
    """The balance in one or two sentences."""
    if lang not in LANGUAGES:
        raise ValueError(f"language must be one of {', '.join(LANGUAGES)}")
    es = lang == "es"
    if account.balance < 0:
        return (
            f"Su cuenta tiene un crédito de {_usd(account.credit)}; no debe nada."
            if es
            else f"Your account has a credit of {_usd(account.credit)}; nothing is owed."
        )
    if account.balance == 0:
        return "Su cuenta está al día." if es else "Your account is paid in full."
    text = (
        f"El saldo de su cuenta es {_usd(account.balance)}."
        if es
        else f"Your account balance is {_usd(account.balance)}."
    )
    if account.with_insurance:
        text += (
            f" De eso, {_usd(account.with_insurance)} todavía está con su seguro y "
            f"{_usd(max(account.due_now, 0))} se debe ahora."
            if es
            else f" Of that, {_usd(account.with_insurance)} is still with your insurance and "
            f"{_usd(max(account.due_now, 0))} is due now."
        )
    return text
