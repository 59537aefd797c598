"""Reason code texts: our own short words built in; an administrator's list wins."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.integrations.x12.reasons import CodeFileError, describe, import_codes


def test_built_in_and_unknown(tmp_path: Path) -> None:
    assert describe("CARC", "45", tmp_path).startswith("more than the plan's agreed fee")
    assert describe("rarc", "n130", tmp_path).startswith("check the plan's benefit")
    assert describe("CARC", "9999", tmp_path) == "reason 9999"


def test_an_administrator_list_takes_precedence(tmp_path: Path) -> None:
    source = tmp_path / "list.csv"
    source.write_text("kind,code,text\nCARC,45,Charge exceeds fee schedule.\nRARC,N1,Note one.\n")
    folder = tmp_path / "desk"
    assert import_codes(source, folder) == 2
    assert describe("CARC", "45", folder) == "Charge exceeds fee schedule."
    assert describe("CARC", "1", folder) == "deductible"  # built-in where the list is silent


def test_a_bad_list_is_refused_with_its_line(tmp_path: Path) -> None:
    source = tmp_path / "bad.csv"
    source.write_text("kind,code,text\nCARC,45,ok\nXYZ,1,not a kind\n")
    with pytest.raises(CodeFileError, match="line 3"):
        import_codes(source, tmp_path / "desk")
    assert not (tmp_path / "desk" / "reason-codes.csv").exists()
