"""Dates as agents type them, and ages as they say them."""

from __future__ import annotations

import re
from datetime import date

_US_DATE = re.compile(r"^(\d{1,2})[/\-.](\d{1,2})[/\-.](\d{2}|\d{4})$")
_ISO_DATE = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_COMPACT = re.compile(r"^(\d{2})(\d{2})(\d{4})$")  # MMDDYYYY, as read off a card


def parse_us_date(text: str, today: date) -> date | None:
    """``04/12/2011``, ``4-12-11``, ``4.12.2011``, ``2011-04-12`` or ``04122011``; else None.

    Two-digit years are births: a year that would lie in the future is the previous century.
    """
    text = text.strip()
    if m := _ISO_DATE.match(text):
        year, month, day = int(m[1]), int(m[2]), int(m[3])
    elif m := _US_DATE.match(text):
        month, day, year = int(m[1]), int(m[2]), int(m[3])
        if len(m[3]) == 2:
            year += 2000
            if year > today.year:
                year -= 100
    elif m := _COMPACT.match(text):
        month, day, year = int(m[1]), int(m[2]), int(m[3])
    else:
        return None
    if not 1850 <= year <= 2200:
        return None
    try:
        return date(year, month, day)
    except ValueError:
        return None


def age_on(born: date, today: date) -> int:
    """Whole years of age on ``today``."""
    years = today.year - born.year
    if (today.month, today.day) < (born.month, born.day):
        years -= 1
    return years


def age_label(born: date, today: date) -> str:
    """Age as shown in a result list: ``7``, or ``8 mo`` for babies under two."""
    years = age_on(born, today)
    if years >= 2:
        return str(years)
    months = (today.year - born.year) * 12 + today.month - born.month
    if today.day < born.day:
        months -= 1
    return f"{max(months, 0)} mo"
