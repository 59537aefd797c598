"""The explainer tab: visits with their breakdown, the words in two languages, a copy
button, deductible and out-of-pocket progress."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication
from pytestqt.qtbot import QtBot

from tests.ui.fakes import ACCOUNT_ID, MIA_ID, VISIT_ID, FakeDesk
from ui.account.explainer import BAR, ExplainerPanel, bar_parts
from ui.account.view import AccountView


def _loaded_panel(qtbot: QtBot, fake_desk: FakeDesk) -> ExplainerPanel:
    """A shown panel with the fake desk's account loaded."""
    panel = ExplainerPanel()
    qtbot.addWidget(panel)
    panel.set_desk(fake_desk)
    panel.show()
    with qtbot.waitSignal(panel.loaded, timeout=3000):
        panel.load(ACCOUNT_ID)
    return panel


def test_opening_an_account_explains_it(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    view = AccountView()
    qtbot.addWidget(view)
    view.set_desk(fake_desk)
    view.show()
    with qtbot.waitSignal(view.explainer.loaded, timeout=3000):
        view.open_account(ACCOUNT_ID, MIA_ID)
    assert [view.tabs.tabText(i) for i in range(view.tabs.count())] == [
        "&Patients and coverage",
        "&Why this balance",
    ]
    view.tabs.setCurrentWidget(view.explainer)
    panel = view.explainer
    assert panel.visits.topLevelItemCount() == 1
    row = panel.visits.topLevelItem(0)
    assert [row.text(c) for c in range(8)] == [
        "03/14/2025", "Mia", "$250.00", "$108.00", "$70.00", "$72.00", "$0.00", "$72.00",
    ]  # fmt: skip
    kinds = [(row.child(i).text(1), row.child(i).text(5)) for i in range(row.childCount())]
    assert kinds == [("Deductible", "$40.00"), ("Coinsurance", "$32.00")]
    assert "Deductible: $40.00" in row.toolTip(BAR)
    assert panel.summary.text() == "Your account balance is $72.00."


def test_words_follow_the_selected_visit_and_language(qtbot: QtBot, fake_desk: FakeDesk):
    panel = _loaded_panel(qtbot, fake_desk)
    panel.visits.setCurrentItem(panel.visits.topLevelItem(0).child(0))  # a kind row
    assert panel.script.toPlainText().startswith("On March 14, 2025, Mia saw Dr. Lee.")
    panel.language.setCurrentIndex(1)
    assert panel.script.toPlainText().startswith("El 14 de marzo de 2025, Mia")
    assert panel.summary.text() == "El saldo de su cuenta es $72.00."
    panel.copy_script()
    assert QApplication.clipboard().text() == panel.script.toPlainText()
    item = panel.visits.topLevelItem(0)
    assert item.data(0, 0x0100) == VISIT_ID


def test_benefits_progress(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    panel = _loaded_panel(qtbot, fake_desk)
    from PySide6.QtWidgets import QProgressBar

    bars = panel.benefits.findChildren(QProgressBar)
    formats = sorted(bar.format() for bar in bars)
    assert formats == [
        "Deductible: $400.00 of $500.00",
        "Out-of-pocket: $720.00 of $3,000.00",
    ]
    assert panel.benefits.isVisible()


def test_bar_parts_add_up_to_the_charge() -> None:
    from tests.ui.fakes import fake_explainer_view

    visit = fake_explainer_view().visits[0]
    parts = dict(bar_parts(visit))
    assert sum(parts.values()) == visit.billed
    assert parts == {"insurance": 10_800, "deductible": 4_000, "coinsurance": 3_200,
                     "adjusted": 7_000}  # fmt: skip


def test_the_caller_picks_the_statement_in_their_hand(qtbot: QtBot, fake_desk: FakeDesk):
    import dataclasses
    from datetime import date

    view = dataclasses.replace(
        fake_desk.explainer(ACCOUNT_ID),
        statements=(
            (date(2025, 11, 1), {"en": "Newest statement words.", "es": "Palabras nuevas."}),
            (date(2025, 10, 1), {"en": "Older statement words.", "es": "Palabras viejas."}),
        ),
    )
    fake_desk.explainer = lambda _account: view  # type: ignore[method-assign]
    panel = _loaded_panel(qtbot, fake_desk)
    assert panel.statement.isVisible()
    assert [panel.statement.itemText(i) for i in range(panel.statement.count())] == [
        "No statement", "Statement of 11/01/2025", "Statement of 10/01/2025",
    ]  # fmt: skip
    assert panel.summary.text() == "Newest statement words."
    panel.statement.setCurrentIndex(2)
    assert panel.summary.text() == "Older statement words."
    panel.language.setCurrentIndex(1)
    assert panel.summary.text() == "Palabras viejas."
    panel.statement.setCurrentIndex(0)
    assert panel.summary.text() == "El saldo de su cuenta es $72.00."


def test_the_payers_reasons_are_one_hover_away(qtbot: QtBot, fake_desk: FakeDesk) -> None:
    panel = _loaded_panel(qtbot, fake_desk)
    visit = panel.visits.topLevelItem(0)
    assert (
        visit.toolTip(4) == "The plan's adjustments:\nCO-45 $70.00: more than the plan's agreed fee"
    )
    kinds = {visit.child(i).text(1): visit.child(i).toolTip(5) for i in range(visit.childCount())}
    assert kinds["Deductible"] == "PR-1 $40.00: deductible"
    assert kinds["Coinsurance"] == "PR-2 $32.00: coinsurance"
