"""Days counted back from the demo's ``today``, and instants on them as stored strings.

Every date of the demo is "``d`` days ago" (day 1 is yesterday), so the same seed and
the same ``today`` give the same rows whenever they are generated. Events happen on
day 1 or earlier, so no stored instant lies in the future of the day the data was made.
"""

from __future__ import annotations

import random
from datetime import date

HORIZON_DAYS = 1200  # dates further back are made on demand

# UTC hours of the day when things happen (the practice keeps US Central business hours).
VISIT_HOUR = 15
FRONT_DESK_HOUR = 14
CHARGE_HOUR = 22
CLAIM_HOUR = 23
REMIT_HOUR = 13
PAYMENT_HOURS = (13, 23)  # a patient payment lands somewhere in [13:00, 23:00)
STATEMENT_TIME = "06:00:00.000000"  # the statement run, before anything is posted that day


class Timeline:
    """ISO dates and naive-UTC instant strings for "``d`` days before ``today``"."""

    def __init__(self, today: date, horizon: int = HORIZON_DAYS) -> None:
        self.today = today
        self._ordinal = today.toordinal()
        self._iso = [date.fromordinal(self._ordinal - d).isoformat() for d in range(horizon + 1)]
        self._year = [int(text[:4]) for text in self._iso]

    def day(self, d: int) -> str:
        """The ISO date ``d`` days ago."""
        if 0 <= d < len(self._iso):
            return self._iso[d]
        return date.fromordinal(self._ordinal - d).isoformat()

    def date_of(self, d: int) -> date:
        """The date ``d`` days ago."""
        return date.fromordinal(self._ordinal - d)

    def year(self, d: int) -> int:
        if 0 <= d < len(self._year):
            return self._year[d]
        return self.date_of(d).year

    def days_ago(self, day: date) -> int:
        return self._ordinal - day.toordinal()

    def year_start(self, d: int) -> int:
        """Days ago of 1 January of the year that holds day ``d``."""
        return self._ordinal - date(self.year(d), 1, 1).toordinal()

    def at(self, d: int, hour: int, rng: random.Random) -> str:
        """A stored instant somewhere in the hour ``hour`` (UTC) of day ``d``."""
        micros = int(rng.random() * 3_600_000_000)
        seconds, micros = divmod(micros, 1_000_000)
        return f"{self.day(d)} {hour:02d}:{seconds // 60:02d}:{seconds % 60:02d}.{micros:06d}"

    def between(self, d: int, hours: tuple[int, int], rng: random.Random) -> str:
        """A stored instant between two whole UTC hours of day ``d``."""
        return self.at(d, hours[0] + int(rng.random() * (hours[1] - hours[0])), rng)

    def statement_run(self, d: int) -> str:
        """The instant the statement run of day ``d`` reads the ledger up to."""
        return f"{self.day(d)} {STATEMENT_TIME}"

    def month_day(self, months_back: int, day_of_month: int) -> int:
        """Days ago of ``day_of_month`` (1-28) of the month ``months_back`` before today's."""
        month = self.today.month - months_back
        year = self.today.year
        while month < 1:
            month += 12
            year -= 1
        return self._ordinal - date(year, month, day_of_month).toordinal()
