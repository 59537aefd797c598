"""The balance explainer in the account view: visit by visit, with a bar of who paid
what, the words to read aloud (English or Spanish, with a copy button), what changed
since the last statement, and deductible and out-of-pocket progress.

Loaded in a worker when an account opens; every figure comes from the same
``ExplainerView`` the words are made from.
"""

from __future__ import annotations

import uuid
from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QModelIndex, QPersistentModelIndex, QRect, Qt, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter
from PySide6.QtWidgets import (
    QComboBox,
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QProgressBar,
    QPushButton,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QTextBrowser,
    QTreeWidget,
    QTreeWidgetItem,
    QVBoxLayout,
    QWidget,
)

from app.domain.money import format_usd
from ui import theme
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk
    from app.services.explainer import ExplainerView

LANGUAGES = (("en", "English"), ("es", "Español"))
HEADERS = ("Date", "Patient", "Billed", "Ins. paid", "Plan adj.", "Share", "Paid", "Owed",
           "Who paid what")  # fmt: skip
HEADER_TIPS = {
    3: "Paid by insurance (every payer)",
    4: "Contractual and other adjustments the plan made: not the patient's to pay",
    5: "What insurance left to the patient: deductible, coinsurance, copay, not covered",
    6: "Paid by the family, including payments on the account applied to this visit",
    7: "Still owed for this visit ('pending': the claim is still with insurance)",
}
BAR = len(HEADERS) - 1
VisitRole = Qt.ItemDataRole.UserRole + 1
# Bar colours: insurance, then the patient's share by kind, then what is still owed.
SEGMENTS = (
    ("insurance", "#5b8db8", "Insurance paid"),
    ("deductible", "#d08c2e", "Deductible"),
    ("coinsurance", "#b9652a", "Coinsurance"),
    ("copay", "#8d6bb3", "Copay"),
    ("noncovered", "#a3262a", "Not covered"),
    ("unitemized", "#4d5b69", "Self-pay / not itemized"),
    ("adjusted", "#c5ced7", "Plan adjustment"),
    ("pending", "#aebccb", "With insurance"),
)


def _usd(cents: int | None) -> str:
    return "—" if cents is None else format_usd(cents)


def bar_parts(visit: Any) -> list[tuple[str, int]]:
    """Positive amounts of the billed charge, in bar order (insurance first)."""
    if visit.with_insurance:
        return [("pending", visit.billed)] if visit.billed > 0 else []
    s = visit.share
    parts = [
        ("insurance", visit.insurance_paid),
        ("deductible", s.deductible),
        ("coinsurance", s.coinsurance),
        ("copay", s.copay),
        ("noncovered", s.noncovered + s.other_pr),
        ("unitemized", max(visit.share_unexplained, 0)),
        ("adjusted", visit.plan_adjusted),
    ]
    return [(name, cents) for name, cents in parts if cents > 0]


class _BarDelegate(QStyledItemDelegate):
    """Paints the 'who paid what' bar of a visit row."""

    def paint(
        self,
        painter: QPainter,
        option: QStyleOptionViewItem,
        index: QModelIndex | QPersistentModelIndex,
    ) -> None:
        parts = index.data(VisitRole)
        if not parts:
            super().paint(painter, option, index)
            return
        colours = {name: colour for name, colour, _ in SEGMENTS}
        total = sum(c for _, c in parts) or 1
        rect: QRect = option.rect.adjusted(4, 5, -4, -5)
        x = rect.left()
        painter.save()
        for name, cents in parts:
            width = max(1, round(rect.width() * cents / total))
            painter.fillRect(QRect(x, rect.top(), width, rect.height()), QColor(colours[name]))
            x += width
        painter.restore()


class ExplainerPanel(QWidget):
    """Shows an :class:`ExplainerView`; empty until an account is opened."""

    loaded = Signal(object)  # ExplainerView now on screen

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._desk: Desk | None = None
        self._view: ExplainerView | None = None
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_loaded)
        self._runner.failed.connect(self._on_failed)

        self.language = QComboBox(self)
        for code, name in LANGUAGES:
            self.language.addItem(name, code)
        self.language.setAccessibleName("Language of the script")
        self.language.currentIndexChanged.connect(self._show_words)
        self.statement = QComboBox(self)
        self.statement.setAccessibleName("Compare with the statement of")
        self.statement.setToolTip("The statement the caller is holding: what changed since")
        self.statement.currentIndexChanged.connect(self._show_words)
        self.copy_button = QPushButton("Copy script", self)
        self.copy_button.setToolTip("Copy the words below to the clipboard")
        self.copy_button.clicked.connect(self.copy_script)
        self.summary = QLabel("", self)
        self.summary.setWordWrap(True)
        self.summary.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        self.visits = QTreeWidget(self)
        self.visits.setHeaderLabels(list(HEADERS))
        self.visits.setRootIsDecorated(True)
        self.visits.setUniformRowHeights(True)
        self.visits.setAlternatingRowColors(True)
        self.visits.setAccessibleName("Visits and how each was paid")
        self.visits.setItemDelegateForColumn(BAR, _BarDelegate(self.visits))
        header = self.visits.header()
        header.setStretchLastSection(True)
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(BAR, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(theme.char_width(self, 6))
        for column, tip in HEADER_TIPS.items():
            self.visits.headerItem().setToolTip(column, tip)
        self.visits.currentItemChanged.connect(lambda *_: self._show_words())

        self.script = QTextBrowser(self)
        self.script.setAccessibleName("Script to read aloud")
        self.script.setMaximumHeight(theme.line_height(self) * 6)

        self.benefits = QFrame(self)
        self.benefits_layout = QGridLayout(self.benefits)
        self.benefits_layout.setContentsMargins(0, 0, 0, 0)
        # One wrapping label, so a narrow account view never needs a wider window.
        self.legend = QLabel(
            " &nbsp; ".join(
                f'<span style="color:{colour}">■</span> {text}' for _, colour, text in SEGMENTS
            ),
            self,
        )
        self.legend.setWordWrap(True)
        self.legend.setObjectName("muted")

        top = QHBoxLayout()
        top.addWidget(self.summary, 1)
        top.addWidget(self.statement)
        top.addWidget(self.language)
        top.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, theme.SPACE_XS, 0, 0)
        layout.setSpacing(theme.SPACE_S)
        layout.addLayout(top)
        layout.addWidget(self.visits, 1)
        layout.addWidget(self.legend)
        layout.addWidget(self.script)
        layout.addWidget(self.benefits)

    # -- loading ------------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        self.clear()

    def load(self, account_id: uuid.UUID) -> None:
        if self._desk is None:
            return
        self.summary.setText("Working out the balance…")
        self._runner.submit(self._desk.explainer, account_id)

    def clear(self) -> None:
        self._runner.outdate()
        self._view = None
        self.visits.clear()
        self.summary.setText("")
        self.script.clear()
        self.statement.clear()
        self.statement.hide()
        self._show_benefits(())

    @property
    def view(self) -> ExplainerView | None:
        return self._view

    def _on_loaded(self, seq: int, view: object) -> None:
        if seq != self._runner.latest_seq:
            return
        self._view = view  # type: ignore[assignment]
        self._fill()
        self.loaded.emit(view)

    def _on_failed(self, seq: int, error: object) -> None:
        if seq == self._runner.latest_seq:
            self.summary.setText(f"The balance could not be explained ({type(error).__name__}).")

    # -- showing ------------------------------------------------------------------------
    def _fill(self) -> None:
        view = self._view
        assert view is not None
        self.visits.clear()
        money_font = theme.tabular(self.visits.font())
        for visit in reversed(view.visits):  # newest first, as agents read them
            status = ("pending" if visit.with_insurance else
                      _usd(visit.owed) if visit.owed else "paid")  # fmt: skip
            item = QTreeWidgetItem(
                [
                    visit.service_date.strftime("%m/%d/%Y"),
                    visit.patient,
                    _usd(visit.billed),
                    _usd(visit.insurance_paid),
                    _usd(visit.plan_adjusted),
                    _usd(visit.patient_share),
                    _usd(visit.patient_paid + visit.credit_applied),
                    status,
                    "",
                ]
            )
            item.setData(0, Qt.ItemDataRole.UserRole, visit.id)
            item.setData(BAR, VisitRole, bar_parts(visit))
            item.setToolTip(BAR, self._bar_tip(visit))
            for col in range(2, 8):
                item.setTextAlignment(
                    col, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                item.setFont(col, money_font)
            if visit.with_insurance:
                item.setForeground(7, QColor(theme.TEXT_MUTED))
            reasons = (view.reasons or {}).get(visit.id, ())
            plan_reasons = [r for r in reasons if r.group != "PR"]
            if plan_reasons:
                item.setToolTip(4, "The plan's adjustments:\n" + _reason_lines(plan_reasons))
            for label, cents, tip in self._kind_rows(visit, reasons):
                child = QTreeWidgetItem(["", label, "", "", "", _usd(cents), "", "", ""])
                if tip:
                    child.setToolTip(1, tip)
                    child.setToolTip(5, tip)
                child.setTextAlignment(
                    5, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter
                )
                child.setFont(5, money_font)
                item.addChild(child)
            self.visits.addTopLevelItem(item)
        self._show_benefits(view.benefits)
        self.statement.blockSignals(True)
        self.statement.clear()
        self.statement.addItem("No statement", -1)
        for number, (when, _) in enumerate(view.statements):
            self.statement.addItem(f"Statement of {when:%m/%d/%Y}", number)
        self.statement.setCurrentIndex(1 if view.statements else 0)
        self.statement.setVisible(bool(view.statements))
        self.statement.blockSignals(False)
        self._show_words()

    @staticmethod
    def _kind_rows(visit: Any, reasons: tuple[Any, ...] = ()) -> list[tuple[str, int, str]]:
        """The share by kind: label, cents, and the payer's reasons for it (a tooltip)."""
        s = visit.share
        pr = [r for r in reasons if r.group == "PR"]
        codes = {"Deductible": ("1",), "Coinsurance": ("2",), "Copay": ("3",),
                 "Not covered": ("96", "204")}  # fmt: skip
        known = {c for kind in codes.values() for c in kind}
        rows = [("Deductible", s.deductible), ("Coinsurance", s.coinsurance), ("Copay", s.copay),
                ("Not covered", s.noncovered), ("Other plan reasons", s.other_pr),
                ("Second insurance paid", -visit.secondary_paid),
                ("Not itemized by a plan" if not visit.self_pay else "Self-pay",
                 visit.share_unexplained)]  # fmt: skip
        out = []
        for label, cents in rows:
            if not cents:
                continue
            if label in codes:
                mine = [r for r in pr if r.code in codes[label]]
            elif label == "Other plan reasons":
                mine = [r for r in pr if r.code not in known]
            else:
                mine = []
            out.append((label, cents, _reason_lines(mine)))
        return out

    @staticmethod
    def _bar_tip(visit: Any) -> str:
        names = {name: text for name, _, text in SEGMENTS}
        return "\n".join(f"{names[n]}: {_usd(c)}" for n, c in bar_parts(visit))

    def _language(self) -> str:
        return str(self.language.currentData() or "en")

    def _show_words(self) -> None:
        view = self._view
        if view is None:
            return
        lang = self._language()
        # A statement comparison ends with today's figures: it replaces the summary.
        chosen = self.statement.currentData()
        if isinstance(chosen, int) and 0 <= chosen < len(view.statements):
            summary = view.statements[chosen][1][lang]
        else:
            summary = view.summary[lang]
        self.summary.setText(summary)
        current = self.visits.currentItem()
        while current is not None and current.parent() is not None:
            current = current.parent()
        visit_id = current.data(0, Qt.ItemDataRole.UserRole) if current is not None else None
        text = view.scripts.get(visit_id, {}).get(lang) if visit_id else None
        self.script.setPlainText(text or summary)

    def copy_script(self) -> None:
        clipboard = QGuiApplication.clipboard()
        if clipboard is not None:
            clipboard.setText(self.script.toPlainText())

    def _show_benefits(self, lines: Any) -> None:
        while self.benefits_layout.count():
            item = self.benefits_layout.takeAt(0)
            widget = item.widget() if item is not None else None
            if widget is not None:
                widget.deleteLater()
        for row, line in enumerate(lines):
            title = QLabel(f"{line.patient} · {line.plan}", self.benefits)
            when = QLabel(
                f"as of {line.captured_on:%m/%d/%Y} · {line.source.replace('_', ' ').upper()}",
                self.benefits,
            )
            when.setObjectName("muted")
            self.benefits_layout.addWidget(title, row, 0)
            self.benefits_layout.addWidget(
                self._progress("Deductible", line.deductible_met_cents, line.deductible_cents),
                row, 1,
            )  # fmt: skip
            self.benefits_layout.addWidget(
                self._progress("Out-of-pocket", line.oop_met_cents, line.oop_max_cents), row, 2
            )
            self.benefits_layout.addWidget(when, row, 3)
        self.benefits.setVisible(bool(lines))

    def _progress(self, name: str, met: int | None, limit: int | None) -> QProgressBar:
        bar = QProgressBar(self.benefits)
        bar.setAccessibleName(name)
        if not limit or met is None:
            bar.setRange(0, 1)
            bar.setValue(0)
            bar.setFormat(f"{name}: not known")
            return bar
        bar.setRange(0, limit)
        bar.setValue(min(met, limit))
        bar.setFormat(f"{name}: {_usd(met)} of {_usd(limit)}")
        return bar


def _reason_lines(reasons: list[Any]) -> str:
    """``PR-96 $40.00: not covered by the plan``, one a line."""
    return "\n".join(f"{r.label} {_usd(r.cents)}: {r.text}" for r in reasons)
