"""What every account of the demo draws from: names, places, phones, payers, desk users.

Built once per run from the seed (and ``today``), then shared by every batch.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date

from app.demo.contact import AddressBook, PhoneBook
from app.demo.names import NameBook, english, spanish
from app.demo.payers import ALL, COMMERCIAL, MEDICAID, PayerPlan
from app.demo.timeline import Timeline


@dataclass(frozen=True)
class Catalog:
    seed: int
    timeline: Timeline
    english: NameBook
    spanish: NameBook
    phones: PhoneBook
    addresses: AddressBook
    payer_keys: dict[str, str]  # payer code -> payer id (hex)
    agent_keys: tuple[str, ...]  # desk users who take calls and payments
    commercial_weights: tuple[int, ...]
    medicaid_weights: tuple[int, ...]

    def commercial(self, rng: random.Random) -> PayerPlan:
        return rng.choices(COMMERCIAL, cum_weights=self.commercial_weights)[0]

    def medicaid(self, rng: random.Random) -> PayerPlan:
        return rng.choices(MEDICAID, cum_weights=self.medicaid_weights)[0]

    def agent(self, rng: random.Random) -> str:
        return self.agent_keys[int(rng.random() * len(self.agent_keys))]


def _cumulative(plans: tuple[PayerPlan, ...]) -> tuple[int, ...]:
    total = 0
    out: list[int] = []
    for plan in plans:
        total += plan.weight
        out.append(total)
    return tuple(out)


def build_catalog(
    rng: random.Random,
    *,
    seed: int,
    today: date,
    patients: int,
    payer_keys: dict[str, str],
    agent_keys: tuple[str, ...],
) -> Catalog:
    """The shared pools; their size grows with ``patients`` up to a cap."""
    missing = {plan.code for plan in ALL} - set(payer_keys)
    if missing:
        raise ValueError(f"payers without an id: {sorted(missing)}")
    streets = min(4_000, max(150, patients // 50))
    return Catalog(
        seed=seed,
        timeline=Timeline(today),
        english=english(),
        spanish=spanish(),
        phones=PhoneBook(rng),
        addresses=AddressBook(rng.getrandbits(32), streets),
        payer_keys=payer_keys,
        agent_keys=agent_keys,
        commercial_weights=_cumulative(COMMERCIAL),
        medicaid_weights=_cumulative(MEDICAID),
    )
