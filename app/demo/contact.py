"""Where guarantors live and how to reach them: addresses, phone numbers, e-mail.

The practice is in Texas; a few families live across a state line. Street names come
from a seeded Faker once (a pool), towns are a small fixed set per state, and phone
numbers are composed from area-code/exchange prefixes that ``phonenumbers`` accepted,
so every number the demo writes is a valid E.164 US number.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import phonenumbers
from faker import Faker

from app.domain.names import name_key

HOME_STATE = "TX"
OUT_OF_STATE_SHARE = 0.07

AREA_CODES: dict[str, tuple[str, ...]] = {
    "TX": (
        "210", "214", "254", "281", "325", "346", "361", "409", "430", "432", "469", "512",
        "682", "713", "726", "737", "806", "817", "830", "832", "903", "915", "936", "940",
        "945", "956", "972", "979",
    ),
    "OK": ("405", "539", "580", "918"),
    "NM": ("505", "575"),
    "LA": ("225", "318", "337", "504", "985"),
    "AR": ("479", "501", "870"),
}  # fmt: skip
_EXCHANGES_PER_AREA = 160
_PROBES = (0, 1234, 5678, 9999)  # subscriber numbers tried on each prefix
_SKIP_EXCHANGES = {555, 950, 958, 959, 976} | {n * 100 + 11 for n in range(2, 10)}

EMAIL_DOMAINS = ("example.com", "example.net", "example.org")  # reserved: never deliverable


@dataclass(frozen=True)
class Address:
    line1: str
    line2: str | None
    city: str
    state: str
    postal_code: str


@dataclass(frozen=True)
class Town:
    city: str
    state: str
    postal_codes: tuple[str, ...]


class PhoneBook:
    """Valid US numbers: a checked "+1AAAEEE" prefix plus any four digits."""

    def __init__(self, rng: random.Random) -> None:
        self.by_state: dict[str, tuple[str, ...]] = {
            state: tuple(prefix for area in areas for prefix in _valid_prefixes(area, rng))
            for state, areas in AREA_CODES.items()
        }
        self.everywhere = tuple(p for prefixes in self.by_state.values() for p in prefixes)

    def number(self, rng: random.Random, state: str) -> str:
        """A valid E.164 number, usually with an area code of ``state``."""
        prefixes = self.by_state.get(state) if rng.random() < 0.88 else None
        pool = prefixes or self.everywhere
        return f"{pool[int(rng.random() * len(pool))]}{int(rng.random() * 10_000):04d}"


def _valid_prefixes(area: str, rng: random.Random) -> list[str]:
    """Exchanges of ``area`` on which every probed subscriber number is valid."""
    exchanges = [n for n in range(200, 1000) if n not in _SKIP_EXCHANGES]
    chosen = sorted(rng.sample(exchanges, _EXCHANGES_PER_AREA))
    prefixes: list[str] = []
    for exchange in chosen:
        base = int(f"{area}{exchange}") * 10_000
        if all(
            phonenumbers.is_valid_number(
                phonenumbers.PhoneNumber(country_code=1, national_number=base + probe)
            )
            for probe in _PROBES
        ):
            prefixes.append(f"+1{area}{exchange}")
    return prefixes


class AddressBook:
    """Addresses composed from a seeded pool of street names and towns."""

    def __init__(self, seed: int, streets: int) -> None:
        fake = Faker("en_US")
        fake.seed_instance(seed)
        self.streets = tuple(dict.fromkeys(fake.street_name() for _ in range(streets)))
        self.towns: dict[str, tuple[Town, ...]] = {}
        seen: set[str] = set()
        for state, count in (("TX", 36), ("OK", 3), ("NM", 2), ("LA", 3), ("AR", 2)):
            towns: list[Town] = []
            while len(towns) < count:
                city = fake.city()
                if city in seen:
                    continue
                seen.add(city)
                codes = tuple(
                    sorted({fake.zipcode_in_state(state) for _ in range(1 + len(towns) % 4)})
                )
                towns.append(Town(city, state, codes))
            self.towns[state] = tuple(towns)
        # Earlier towns are bigger: weight them so a few cities hold most families.
        self._home_weights = tuple(
            sum(1.0 / (i + 2) for i in range(n + 1)) for n in range(len(self.towns[HOME_STATE]))
        )

    def address(self, rng: random.Random) -> Address:
        if rng.random() < OUT_OF_STATE_SHARE:
            state = ("OK", "NM", "LA", "AR")[int(rng.random() * 4)]
            town = self.towns[state][int(rng.random() * len(self.towns[state]))]
        else:
            state = HOME_STATE
            town = rng.choices(self.towns[state], cum_weights=self._home_weights)[0]
        street = self.streets[int(rng.random() * len(self.streets))]
        number = 100 + int(rng.random() * 9_800)
        line2 = None
        if rng.random() < 0.14:
            line2 = f"{'Apt.' if rng.random() < 0.8 else 'Unit'} {1 + int(rng.random() * 420)}"
        postal = town.postal_codes[int(rng.random() * len(town.postal_codes))]
        return Address(f"{number} {street}", line2, town.city, town.state, postal)


def email_for(rng: random.Random, first: str, last: str) -> str:
    """A plausible personal address on a reserved example domain."""
    local = name_key(first)[:12] or "parent"
    style = rng.random()
    last_key = name_key(last)[:16]
    if style < 0.4:
        local = f"{local}.{last_key}"
    elif style < 0.7:
        local = f"{local[:1]}{last_key}{int(rng.random() * 100):02d}"
    else:
        local = f"{local}{last_key[:1]}{1970 + int(rng.random() * 40)}"
    return f"{local}@{EMAIL_DOMAINS[int(rng.random() * len(EMAIL_DOMAINS))]}"
