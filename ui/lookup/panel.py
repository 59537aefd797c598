"""The lookup panel: one search box, a hint line and the results table.

Results follow the typing: each pause of ``debounce_ms`` sends the text to
``desk.lookup`` in a worker. Every request carries a sequence number; an answer older
than the newest one already shown is dropped, so a slow answer to an old query can
never overwrite a newer one. Enter right after typing waits for the answer to the text
actually in the box before it opens anything.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHeaderView,
    QLabel,
    QLineEdit,
    QSizePolicy,
    QStackedWidget,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from app.services.views import LookupAnswer, LookupResult
from ui import theme
from ui.lookup.model import Column, LookupResultsModel
from ui.workers import TaskRunner

if TYPE_CHECKING:
    from app.services.desk import Desk

log = logging.getLogger(__name__)

PLACEHOLDER = "Name, DOB, phone, account # or MRN"
IDLE_TEXT = "Type a name, date of birth, phone, account number or MRN."
WAITING_FOR_DATABASE = "Waiting for the database to open…"
NO_MATCHES = "No matches"


class LookupPanel(QWidget):
    """Search box + results. Emits :attr:`resultActivated` when the agent opens a row."""

    resultActivated = Signal(object)  # LookupResult the agent opened (Enter / double-click)
    searchFinished = Signal(object)  # LookupAnswer now shown in the table
    staleAnswerDropped = Signal(int)  # seq of an answer that arrived after a newer one

    def __init__(self, parent: QWidget | None = None, *, debounce_ms: int = 150) -> None:
        super().__init__(parent)
        self._desk: Desk | None = None
        self._runner = TaskRunner(self)
        self._shown_seq = 0  # newest answer shown (or cleared); older answers are stale
        self._pending_text: str | None = None  # text the newest request (in flight) asked
        self._answered_text: str | None = None  # text whose answer the table shows
        self._open_when_current = False  # Enter was pressed before the answer arrived

        self.search = QLineEdit(self)
        self.search.setObjectName("lookupSearch")
        self.search.setPlaceholderText(PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName("Find caller")
        self.search.setAccessibleDescription(
            "Search by name, date of birth, phone, account number or MRN. "
            "Down moves to the results, Enter opens the account, Escape clears."
        )
        self.search.setFont(theme.scaled_font(self.font(), 1.15))

        self.hint = QLabel(IDLE_TEXT, self)
        self.hint.setObjectName("lookupHint")
        self.hint.setAccessibleName("Search status")
        self.hint.setTextFormat(Qt.TextFormat.PlainText)
        # A long hint is cut at the panel's edge rather than widening the panel.
        self.hint.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Preferred)

        self.model = LookupResultsModel(self)
        self.table = QTableView(self)
        self.table.setObjectName("lookupResults")
        self.table.setAccessibleName("Search results")
        self.table.setModel(self.model)
        self._setup_table()

        self.empty = QLabel(IDLE_TEXT, self)
        self.empty.setObjectName("emptyState")
        self.empty.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty.setWordWrap(True)
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setAccessibleName("Search results")

        self.stack = QStackedWidget(self)
        self.stack.addWidget(self.empty)
        self.stack.addWidget(self.table)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(debounce_ms)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.SPACE_S, theme.SPACE_S, theme.SPACE_XS, theme.SPACE_S)
        layout.setSpacing(theme.SPACE_XS)
        layout.addWidget(self.search)
        layout.addWidget(self.hint)
        layout.addSpacing(theme.SPACE_XS)
        layout.addWidget(self.stack, 1)
        self.setFocusProxy(self.search)
        self._connect()

    def _setup_table(self) -> None:
        t = self.table
        t.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        t.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        t.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        t.setAlternatingRowColors(True)
        t.setShowGrid(False)
        t.setWordWrap(False)
        t.setTabKeyNavigation(False)
        t.setCornerButtonEnabled(False)
        t.verticalHeader().setVisible(False)
        t.verticalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        t.verticalHeader().setDefaultSectionSize(round(theme.line_height(t) * 1.7))
        header = t.horizontalHeader()
        header.setHighlightSections(False)
        # At most a page of rows: fitting columns to their contents is cheap and exact.
        # The name takes what is left (elided, full text in the tooltip).
        header.setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(Column.NAME, QHeaderView.ResizeMode.Stretch)
        header.setMinimumSectionSize(theme.char_width(t, 4))

    def _connect(self) -> None:
        self.search.textChanged.connect(self._on_text_changed)
        self.search.installEventFilter(self)
        self.table.installEventFilter(self)
        # Enter is handled in the key filter; activation by single click (a style hint on
        # some desktops) is not wanted, so only a double-click opens from the mouse.
        self.table.doubleClicked.connect(self._activate_index)
        self._debounce.timeout.connect(self._send_query)
        self._runner.succeeded.connect(self._on_answer)
        self._runner.failed.connect(self._on_failure)

    # -- public ------------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        """Start (or stop) answering; text typed while waiting is searched now."""
        self._desk = desk
        if desk is not None and self.search.text().strip():
            self._send_query()
        elif desk is None and self.search.text().strip():
            self._show_waiting()

    @property
    def desk(self) -> Desk | None:
        return self._desk

    @property
    def search_pending(self) -> bool:
        """True while the text in the box has not been answered yet (typing or in flight)."""
        return self._debounce.isActive() or self._pending_text is not None

    def focus_search(self) -> None:
        """Put the cursor in the search box with its text selected, ready to overtype."""
        self.search.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search.selectAll()

    def clear_search(self) -> None:
        self.search.clear()

    # -- typing and requests --------------------------------------------------------------
    def _on_text_changed(self, text: str) -> None:
        self._open_when_current = False
        if not text.strip():
            self._debounce.stop()
            self._show_idle()
            return
        self._debounce.start()

    def _show_idle(self) -> None:
        # Bump past every request in flight: their answers are for text no longer there.
        self._shown_seq = self._runner.latest_seq
        self._pending_text = None
        self._answered_text = None
        self.model.clear()
        self.hint.setText(IDLE_TEXT)
        self.empty.setText(IDLE_TEXT)
        self.stack.setCurrentWidget(self.empty)

    def refresh(self) -> None:
        """Search the current text again (money moved: the balances shown are stale)."""
        if self.search.text().strip():
            self._send_query()

    def _send_query(self) -> None:
        self._debounce.stop()
        text = self.search.text()
        if not text.strip():
            return
        if self._desk is None:
            self._show_waiting()
            return
        self._pending_text = text
        self._runner.submit(self._desk.lookup, text)

    def _show_waiting(self) -> None:
        self.hint.setText(WAITING_FOR_DATABASE)
        self.empty.setText(f"{WAITING_FOR_DATABASE}\nYour search runs as soon as it is ready.")
        self.stack.setCurrentWidget(self.empty)

    def _query_is_current(self) -> bool:
        """True when the table shows the answer to the text in the box, nothing pending."""
        return (
            not self._debounce.isActive()
            and self._pending_text is None
            and self._answered_text == self.search.text()
        )

    # -- answers ------------------------------------------------------------------------
    def _on_answer(self, seq: int, answer: object) -> None:
        if seq <= self._shown_seq or not isinstance(answer, LookupAnswer):
            self.staleAnswerDropped.emit(seq)
            return
        self._shown_seq = seq
        if seq == self._runner.latest_seq:
            self._answered_text, self._pending_text = self._pending_text, None
        self._show_answer(answer)
        self.searchFinished.emit(answer)
        if self._open_when_current and self._query_is_current():
            self._open_when_current = False
            self._activate_row(0)

    def _show_answer(self, answer: LookupAnswer) -> None:
        count = len(answer.results)
        self.model.set_results(answer.results)
        matches = NO_MATCHES if count == 0 else f"{count} match{'es' if count != 1 else ''}"
        parts = [p for p in (answer.hint, matches, f"{answer.elapsed_ms:.0f} ms") if p]
        self.hint.setText(" · ".join(parts))
        if count:
            self.stack.setCurrentWidget(self.table)
            self.table.scrollToTop()
        else:
            shown = answer.text if len(answer.text) <= 60 else answer.text[:57] + "…"
            self.empty.setText(f"{NO_MATCHES} for “{shown}”.\n{IDLE_TEXT}")
            self.stack.setCurrentWidget(self.empty)

    def _on_failure(self, seq: int, error: object) -> None:
        if seq <= self._shown_seq:
            self.staleAnswerDropped.emit(seq)
            return
        self._shown_seq = seq
        if seq == self._runner.latest_seq:
            self._answered_text, self._pending_text = self._pending_text, None
        # Never show the exception text: it may quote what the agent typed.
        log.warning("lookup failed: %s", type(error).__name__)
        self.model.clear()
        self.hint.setText("Search failed; try again, or check the database connection.")
        self.empty.setText("Search failed.")
        self.stack.setCurrentWidget(self.empty)

    # -- opening ------------------------------------------------------------------------
    def _activate_index(self, index: QModelIndex) -> None:
        if index.isValid():
            self._activate_row(index.row())

    def _activate_row(self, row: int) -> None:
        result = self.model.result_at(row)
        if result is not None:
            self.table.selectRow(row)  # shows which result the open account came from
            self.resultActivated.emit(result)

    def _open_from_box(self) -> None:
        """Enter in the box: open the selected row, or the first one once it is current."""
        if not self.search.text().strip():
            return
        if self._query_is_current():
            current = self.table.currentIndex()
            selected = self.table.selectionModel().isRowSelected(current.row(), QModelIndex())
            self._activate_row(current.row() if current.isValid() and selected else 0)
            return
        # The table is behind the box: run the search now and open when it answers.
        self._open_when_current = True
        if self._debounce.isActive() or self._pending_text is None:
            self._send_query()

    def selected_result(self) -> LookupResult | None:
        current = self.table.currentIndex()
        return self.model.result_at(current.row()) if current.isValid() else None

    # -- keyboard -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search:
                return self._search_key(event)
            if watched is self.table:
                return self._table_key(event)
        return super().eventFilter(watched, event)

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._open_from_box()
            return True
        if key == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            return True
        if key in (Qt.Key.Key_Down, Qt.Key.Key_PageDown) and self.model.rowCount() > 0:
            self._enter_results()
            return True
        return False

    def _enter_results(self) -> None:
        current = self.table.currentIndex()
        row = current.row() if current.isValid() else 0
        self.table.setFocus(Qt.FocusReason.OtherFocusReason)
        index = self.model.index(row, 0)
        self.table.selectionModel().setCurrentIndex(
            index,
            QItemSelectionModel.SelectionFlag.ClearAndSelect
            | QItemSelectionModel.SelectionFlag.Rows,
        )
        self.table.scrollTo(index)

    def _table_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key == Qt.Key.Key_Up and self.table.currentIndex().row() <= 0:
            self.focus_search()
            return True
        if key == Qt.Key.Key_Escape:
            self.focus_search()
            return True
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            self._activate_index(self.table.currentIndex())
            return True
        return False
