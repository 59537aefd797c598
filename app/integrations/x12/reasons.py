"""Short descriptions of the common adjustment reason (CARC) and remark (RARC) codes.

The official code texts belong to X12 and are licensed; these are our own plain-words
summaries of the codes a behavioral-health practice sees most, written for an agent to
say on the phone. An administrator who holds the licensed list loads it with
``pa-desk codes import FILE`` (CSV: kind,code,text); loaded texts take precedence.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

CARC: dict[str, str] = {
    "1": "deductible",
    "2": "coinsurance",
    "3": "copay",
    "4": "the procedure code does not match the modifier used",
    "5": "the procedure code does not match the place of service",
    "16": "the claim was missing information the plan needs",
    "18": "a duplicate of a claim already processed",
    "22": "another plan may pay first (coordination of benefits)",
    "23": "adjusted for what a prior payer already paid or allowed",
    "27": "the coverage had ended before the visit",
    "29": "the claim was filed too late",
    "31": "the plan could not identify the patient as its member",
    "45": "more than the plan's agreed fee (the provider writes it off)",
    "50": "the plan does not consider it medically necessary",
    "96": "not covered by the plan",
    "97": "paid as part of another service on the same day",
    "109": "not covered by this payer; send it to the right one",
    "119": "the benefit maximum for the period has been reached",
    "167": "the diagnosis is not covered",
    "197": "a required prior authorization was missing",
    "198": "more visits than the authorization allowed",
    "204": "not covered under the patient's current benefit plan",
    "242": "the provider is not in the plan's network",
    "253": "sequestration: a federal reduction of the payment",
}
RARC: dict[str, str] = {
    "M15": "separately billed services were bundled",
    "MA130": "the claim had incomplete or invalid information",
    "N130": "check the plan's benefit documents for this limit",
    "N362": "more units were billed than the plan allows",
    "N381": "see the contract for this adjustment",
    "N650": "the plan's policy does not pay for this service",
}
_FILE = "reason-codes.csv"


class CodeFileError(ValueError):
    """A codes file that cannot be loaded (the message says which line)."""


def describe(kind: str, code: str, folder: Path | None = None) -> str:
    """Plain words for a CARC (``kind`` "CARC") or RARC code; the code itself if unknown."""
    loaded = _loaded(folder)
    key = (kind.upper(), code.strip().upper())
    if key in loaded:
        return loaded[key]
    table = CARC if key[0] == "CARC" else RARC
    return table.get(key[1], f"reason {key[1]}")


def import_codes(source: Path, folder: Path) -> int:
    """Check a ``kind,code,text`` CSV and keep it in ``folder``; the count of codes."""
    text = source.read_text(encoding="utf-8-sig")
    count = 0
    for number, row in enumerate(csv.reader(io.StringIO(text)), start=1):
        if not row or (number == 1 and row[0].strip().lower() == "kind"):
            continue
        if len(row) < 3 or row[0].strip().upper() not in ("CARC", "RARC") or not row[1].strip():
            raise CodeFileError(f"line {number}: expected kind (CARC or RARC), code, text")
        count += 1
    folder.mkdir(parents=True, exist_ok=True)
    (folder / _FILE).write_text(text, encoding="utf-8")
    _CACHE.pop(folder, None)
    return count


_CACHE: dict[Path, dict[tuple[str, str], str]] = {}


def _loaded(folder: Path | None) -> dict[tuple[str, str], str]:
    if folder is None:
        from app.config import data_dir

        folder = data_dir()
    if folder not in _CACHE:
        codes: dict[tuple[str, str], str] = {}
        path = folder / _FILE
        if path.exists():
            for row in csv.reader(io.StringIO(path.read_text(encoding="utf-8"))):
                if len(row) >= 3 and row[0].strip().upper() in ("CARC", "RARC"):
                    codes[(row[0].strip().upper(), row[1].strip().upper())] = row[2].strip()
        _CACHE[folder] = codes
    return _CACHE[folder]
