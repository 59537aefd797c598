"""People's names drawn from Faker's word lists, without Faker's per-call cost.

Faker's ``name()`` costs tens of microseconds; a million patients need millions of names.
The locale providers' lists (weighted where Faker weights them, as en_US does) are read
once and drawn from with the demo's seeded :class:`random.Random`.
"""

from __future__ import annotations

import random
from bisect import bisect_right
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from faker.providers.person.en_US import Provider as EnglishNames
from faker.providers.person.es_MX import Provider as SpanishNames

# es_MX lists are unweighted; these are common enough in Mexican families to weight up.
_COMMON_SPANISH = {
    "José": 12, "María": 14, "Juan": 8, "Guadalupe": 6, "Luis": 6, "Carlos": 6,
    "Jesús": 6, "Miguel": 5, "Sofía": 8, "Camila": 6, "Valentina": 6, "Santiago": 7,
    "Mateo": 7, "Ximena": 5, "Diego": 6, "Daniela": 6, "Alejandro": 5, "Fernanda": 5,
    "Ana": 6, "Hernández": 12, "García": 12, "Martínez": 10, "López": 10, "González": 10,
    "Pérez": 8, "Rodríguez": 8, "Sánchez": 8, "Ramírez": 8, "Cruz": 6, "Flores": 6,
    "Gómez": 6, "Núñez": 4, "Muñoz": 4, "Ibáñez": 2, "Peña": 3,
}  # fmt: skip


@dataclass(frozen=True)
class WeightedList:
    """Strings with integer weights, drawn in O(log n) from one ``random()``."""

    values: tuple[str, ...]
    cumulative: tuple[int, ...]

    @classmethod
    def of(cls, weights: Iterable[tuple[str, float]]) -> WeightedList:
        values: list[str] = []
        cumulative: list[int] = []
        total = 0
        for value, weight in weights:
            total += max(1, round(weight * 1_000_000))
            values.append(value)
            cumulative.append(total)
        return cls(tuple(values), tuple(cumulative))

    def pick(self, rng: random.Random) -> str:
        index = bisect_right(self.cumulative, int(rng.random() * self.cumulative[-1]))
        return self.values[min(index, len(self.values) - 1)]


def _weighted(
    source: Mapping[str, float] | Iterable[str], boost: Mapping[str, int]
) -> WeightedList:
    if isinstance(source, Mapping):
        pairs = [(name, float(weight)) for name, weight in source.items()]
    else:
        pairs = [(name, float(boost.get(name, 1))) for name in source]
    return WeightedList.of(pairs)


@dataclass(frozen=True)
class NameBook:
    """First names by sex and last names of one locale."""

    locale: str
    male: WeightedList
    female: WeightedList
    last: WeightedList

    def first(self, rng: random.Random, sex: str) -> str:
        return (self.female if sex == "F" else self.male).pick(rng)


def english() -> NameBook:
    return NameBook(
        "en_US",
        _weighted(EnglishNames.first_names_male, {}),
        _weighted(EnglishNames.first_names_female, {}),
        _weighted(EnglishNames.last_names, {}),
    )


def spanish() -> NameBook:
    return NameBook(
        "es_MX",
        _weighted(SpanishNames.first_names_male, _COMMON_SPANISH),
        _weighted(SpanishNames.first_names_female, _COMMON_SPANISH),
        _weighted(SpanishNames.last_names, _COMMON_SPANISH),
    )
