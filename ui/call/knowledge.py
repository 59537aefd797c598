"""Scripts and help beside the call: a search box, the article titles, the article with
the agent's, practice's and caller's names filled in, and a button that copies the
words to say.

Typing filters the titles without changing what is shown, so the agent can keep
reading while looking for the next script; Down moves into the titles, Enter shows the
best match.
"""

from __future__ import annotations

import re

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QGuiApplication,
    QKeyEvent,
    QTextBlockFormat,
    QTextCursor,
    QTextFormat,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from app.services.knowledge import Article, Knowledge, fill
from ui import theme

PLACEHOLDER = "Search scripts and help"
NO_MATCHES = "No matching scripts"
SlugRole = Qt.ItemDataRole.UserRole + 1
# Characters that would turn a name into Markdown (emphasis, links, raw HTML).
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+\-.!|~])")


def _markdown_text(value: str) -> str:
    """A name as literal Markdown text: a practice called "A*B" is not emphasis."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", value)


_GAP = re.compile(r"\{([a-z_]+)\}")


class KnowledgePanel(QWidget):
    """Searchable scripts and troubleshooting notes, filled with the call's names."""

    articleShown = Signal(str)  # slug of the article now in the reader

    def __init__(self, knowledge: Knowledge | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.knowledge = knowledge if knowledge is not None else Knowledge.load()
        self._names: dict[str, str] = {}
        self._current: Article | None = None

        self.search = QLineEdit(self)
        self.search.setObjectName("knowledgeSearch")
        self.search.setPlaceholderText(PLACEHOLDER)
        self.search.setClearButtonEnabled(True)
        self.search.setAccessibleName(PLACEHOLDER)
        self.search.setAccessibleDescription(
            "Type words from a title, tag or text. Down moves to the titles, Enter shows "
            "the first match, Escape clears."
        )

        self.titles = QListWidget(self)
        self.titles.setObjectName("knowledgeTitles")
        self.titles.setAccessibleName("Scripts and help articles")
        self.titles.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.titles.setUniformItemSizes(True)
        self.titles.setMaximumHeight(theme.line_height(self) * 9)

        self.empty = QLabel(NO_MATCHES, self)
        self.empty.setObjectName("knowledgeEmpty")
        self.empty.setAccessibleName("Search status")
        self.empty.setTextFormat(Qt.TextFormat.PlainText)
        self.empty.setVisible(False)

        self.reader = QTextBrowser(self)
        self.reader.setObjectName("knowledgeReader")
        self.reader.setAccessibleName("Script and notes")
        self.reader.setOpenLinks(False)

        self.copy_button = QPushButton("Copy words", self)
        self.copy_button.setObjectName("knowledgeCopy")
        self.copy_button.setAccessibleName("Copy the words to say")
        self.copy_button.setToolTip("Copy the quoted words of this script to the clipboard")
        self.copy_button.setEnabled(False)

        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.copy_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(theme.SPACE_S, theme.SPACE_S, theme.SPACE_S, theme.SPACE_S)
        layout.setSpacing(theme.SPACE_XS)
        layout.addWidget(self.search)
        layout.addWidget(self.titles)
        layout.addWidget(self.empty)
        layout.addWidget(self.reader, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.search)

        self._connect()
        self._list(self.knowledge.articles)
        if self.knowledge.articles:
            self._show(self.knowledge.articles[0])

    def _connect(self) -> None:
        self.search.textChanged.connect(self._filter)
        self.search.installEventFilter(self)
        self.titles.installEventFilter(self)
        self.titles.currentItemChanged.connect(self._on_current_item)
        self.copy_button.clicked.connect(self.copy_words)

    # -- public -------------------------------------------------------------------------
    def set_names(self, agent: str, practice: str, caller: str = "") -> None:
        """Fill ``{agent}``, ``{practice}`` and ``{caller}``; empty ones stay as written."""
        self._names = {"agent": agent, "practice": practice, "caller": caller}
        self._render()

    def show_article(self, slug: str) -> None:
        """Show and select an article, clearing a search that hides it."""
        article = self.knowledge.get(slug)
        if self._row_of(slug) is None:
            self.search.clear()  # lists every article again
        self._show(article)

    def current_slug(self) -> str | None:
        return self._current.slug if self._current is not None else None

    def copy_words(self) -> None:
        """Put the current article's words to say, filled, on the clipboard."""
        clipboard = QGuiApplication.clipboard()
        if self._current is not None and self._current.spoken and clipboard is not None:
            clipboard.setText(fill(self._current.spoken, **self._names))

    # -- list ---------------------------------------------------------------------------
    def _filter(self, text: str) -> None:
        self._list(tuple(self.knowledge.search(text, limit=len(self.knowledge.articles))))

    def _list(self, articles: tuple[Article, ...]) -> None:
        """Show these titles; the article being read stays selected if it is among them."""
        self.titles.blockSignals(True)
        try:
            self.titles.clear()
            for article in articles:
                item = QListWidgetItem(article.title)
                item.setData(SlugRole, article.slug)
                item.setToolTip(", ".join(article.tags))
                self.titles.addItem(item)
            self._select_current()
        finally:
            self.titles.blockSignals(False)
        self.empty.setVisible(not articles)

    def _row_of(self, slug: str) -> int | None:
        for row in range(self.titles.count()):
            if self.titles.item(row).data(SlugRole) == slug:
                return row
        return None

    def _select_current(self) -> None:
        row = self._row_of(self._current.slug) if self._current is not None else None
        if row is None:
            self.titles.setCurrentRow(-1)
        else:
            self.titles.setCurrentRow(row)

    def _on_current_item(self, item: QListWidgetItem | None, _previous: object) -> None:
        if item is not None:
            self._show(self.knowledge.get(str(item.data(SlugRole))))

    # -- reader -------------------------------------------------------------------------
    def _show(self, article: Article) -> None:
        self._current = article
        self.titles.blockSignals(True)
        try:
            self._select_current()
        finally:
            self.titles.blockSignals(False)
        self._render()
        self.articleShown.emit(article.slug)

    def _render(self) -> None:
        article = self._current
        if article is None:
            self.reader.clear()
            self.copy_button.setEnabled(False)
            return
        names = {key: _markdown_text(value) for key, value in self._names.items()}
        body = _GAP.sub(r"[\1]", fill(article.body, **names))  # blanks the agent fills aloud
        self.reader.setMarkdown(f"## {article.title}\n\n{body}")
        self._mark_spoken_lines()
        self.copy_button.setEnabled(bool(article.spoken))

    def _mark_spoken_lines(self) -> None:
        """Give the quoted (spoken) paragraphs a background, so they stand out."""
        document = self.reader.document()
        block = document.begin()
        while block.isValid():
            level = block.blockFormat().intProperty(QTextFormat.Property.BlockQuoteLevel)
            if level > 0:
                quoted = QTextBlockFormat(block.blockFormat())
                quoted.setBackground(QColor(theme.HIGHLIGHT_ROW))
                QTextCursor(block).setBlockFormat(quoted)
            block = block.next()

    # -- keyboard -----------------------------------------------------------------------
    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.KeyPress and isinstance(event, QKeyEvent):
            if watched is self.search:
                return self._search_key(event)
            if watched is self.titles:
                return self._titles_key(event)
        return super().eventFilter(watched, event)

    def _search_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if key in (Qt.Key.Key_Return, Qt.Key.Key_Enter):
            if self.titles.count() > 0:
                self._show(self.knowledge.get(str(self.titles.item(0).data(SlugRole))))
            return True
        if key == Qt.Key.Key_Down and self.titles.count() > 0:
            self.titles.setFocus(Qt.FocusReason.OtherFocusReason)
            if self.titles.currentRow() < 0:
                self.titles.setCurrentRow(0)
            return True
        if key == Qt.Key.Key_Escape and self.search.text():
            self.search.clear()
            return True
        return False

    def _titles_key(self, event: QKeyEvent) -> bool:
        key = event.key()
        if (key == Qt.Key.Key_Up and self.titles.currentRow() <= 0) or (key == Qt.Key.Key_Escape):
            self.search.setFocus(Qt.FocusReason.OtherFocusReason)
            return True
        return False
