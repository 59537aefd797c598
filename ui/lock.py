"""The idle lock: after the central policy's idle minutes with no keyboard or mouse input
the window hides the work behind a lock page and asks for the password again. Nothing
under it is closed or cleared: the search text, the open account and anything typed
are exactly as they were once the person unlocks.

Idle time is measured on the monotonic clock (``QElapsedTimer``), never by counting
timer ticks or from wall-clock differences.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QElapsedTimer, QEvent, QObject, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.workers import TaskRunner

_INPUT = frozenset(
    {
        QEvent.Type.KeyPress,
        QEvent.Type.MouseButtonPress,
        QEvent.Type.MouseMove,
        QEvent.Type.Wheel,
        QEvent.Type.TouchBegin,
    }
)


class IdleWatcher(QObject):
    """Emits :attr:`idle` once input has been absent for ``limit_ms``."""

    idle = Signal()

    def __init__(self, limit_ms: int, parent: QObject | None = None, *, check_ms: int = 1000):
        super().__init__(parent)
        self.limit_ms = limit_ms
        self._since = QElapsedTimer()
        self._since.start()
        self._fired = False
        self._timer = QTimer(self)
        self._timer.setInterval(min(check_ms, max(limit_ms // 4, 10)))
        self._timer.timeout.connect(self._check)
        app = QApplication.instance()
        if app is not None:
            app.installEventFilter(self)

    def start(self) -> None:
        self.touch()
        self._timer.start()

    def stop(self) -> None:
        self._timer.stop()

    def touch(self) -> None:
        """Input happened (or the desk was just unlocked): the idle time starts again."""
        self._since.restart()
        self._fired = False

    def idle_ms(self) -> int:
        return int(self._since.elapsed())

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() in _INPUT:
            self._since.restart()
        return False

    def _check(self) -> None:
        if not self._fired and self._since.elapsed() >= self.limit_ms:
            self._fired = True
            self.idle.emit()


class LockPage(QFrame):
    """Covers the work while the desk is locked; asks for the password to go on."""

    unlocked = Signal()

    def __init__(
        self,
        verify: Callable[[str], None],
        user_name: str,
        *,
        needs_password: bool,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setObjectName("lockPage")
        self._verify = verify
        self._needs_password = needs_password
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_verified)
        self._runner.failed.connect(self._on_refused)

        title = QLabel("PA Desk is locked", self)
        title.setFont(theme.scaled_font(self.font(), 1.6, bold=True))
        who = QLabel(f"Signed in as {user_name}. Your work is kept as you left it.", self)
        who.setWordWrap(True)
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setPlaceholderText("Password")
        self.password.setAccessibleName("Password")
        self.password.returnPressed.connect(self.try_unlock)
        self.error = QLabel("", self)
        self.error.setObjectName("fieldError")
        self.error.setStyleSheet(f"color: {theme.ERROR};")
        self.error.setWordWrap(True)
        self.unlock_button = QPushButton("Unlock", self)
        self.unlock_button.setDefault(True)
        self.unlock_button.clicked.connect(self.try_unlock)
        note = QLabel("", self)
        note.setObjectName("muted")
        note.setWordWrap(True)
        if not needs_password:
            self.password.hide()
            note.setText(
                f"Sandbox desk: demo users have no password. Press Unlock to go on as {user_name}."
            )

        box = QFrame(self)
        box.setObjectName("lockBox")
        # A fixed width lets the wrapped labels work out their height (never clipped).
        box.setFixedWidth(theme.char_width(self, 56))
        box.setStyleSheet(
            f"QFrame#lockBox {{ background: {theme.SURFACE}; border: 1px solid {theme.BORDER};"
            " border-radius: 6px; }"
        )
        inner = QVBoxLayout(box)
        inner.setContentsMargins(theme.SPACE_L, theme.SPACE_L, theme.SPACE_L, theme.SPACE_L)
        inner.setSpacing(theme.SPACE_S)
        for widget in (title, who, self.password, self.error, self.unlock_button, note):
            inner.addWidget(widget)
        # Centred by stretches, not by alignment: an aligned item gets its size hint and
        # ignores height-for-width, which would clip the wrapped lines.
        row = QHBoxLayout()
        row.addStretch(1)
        row.addWidget(box)
        row.addStretch(1)
        outer = QVBoxLayout(self)
        outer.addStretch(1)
        outer.addLayout(row)
        outer.addStretch(2)
        self.setAutoFillBackground(True)

    def reset(self) -> None:
        self.password.clear()
        self.error.clear()
        self.unlock_button.setEnabled(True)
        (self.password if self._needs_password else self.unlock_button).setFocus()

    def try_unlock(self) -> None:
        if not self.unlock_button.isEnabled():
            return
        if self._needs_password and not self.password.text():
            self.error.setText("Type your password to unlock.")
            return
        self.unlock_button.setEnabled(False)
        self.error.setText("Checking…")
        self._runner.submit(self._verify, self.password.text())

    def _on_verified(self, _seq: int, _value: object) -> None:
        self.password.clear()
        self.error.clear()
        self.unlock_button.setEnabled(True)
        self.unlocked.emit()

    def _on_refused(self, _seq: int, error: object) -> None:
        from app.services.errors import DeskError

        message = str(error) if isinstance(error, DeskError) else "The desk could not check it."
        self.error.setText(message)
        self.password.selectAll()
        self.password.setFocus()
        self.unlock_button.setEnabled(True)
