"""The explainer's words say where the patient stands on the deductible, from the same
benefits snapshot the progress bar shows."""

from __future__ import annotations

from datetime import date

from sqlalchemy import select

from app.domain.money import format_usd
from app.services.desk import open_desk
from app.store.models import GuarantorAccount


def test_scripts_name_the_deductible_from_the_snapshot(sqlite_url: str) -> None:
    desk = open_desk(sqlite_url, demo_patients=300, seed=8, today=lambda: date(2026, 11, 20))
    try:
        with desk.engine.connect() as conn:
            accounts = list(conn.scalars(select(GuarantorAccount.id)))
        checked = 0
        for account in accounts:
            view = desk.explainer(account)
            limits = {b.patient_id: b for b in view.benefits if b.deductible_cents}
            for visit in view.visits:
                line = limits.get(visit.patient_id)
                if line is None or not visit.share.deductible or visit.with_insurance:
                    continue
                words = view.scripts[visit.id]["en"]
                assert f"toward your {format_usd(line.deductible_cents)} deductible" in words
                assert f"de {format_usd(line.deductible_cents)}" in view.scripts[visit.id]["es"]
                checked += 1
            if checked >= 5:
                break
        assert checked, "the demo should have deductibles with a snapshot"
    finally:
        desk.close()
