"""The call bar: always on screen above the work, whatever panel is open.

It says where the call stands (phase, caller, verified or not, length), offers the
next steps with shortcuts, and holds the hold timer while the caller is on hold.
"""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMessageBox,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.call import CallError, CallPhase
from app.domain.hold import mm_ss
from app.domain.identity import FACTOR_WORDS, Factor
from app.domain.phones import display
from ui import theme
from ui.call.controller import CallController
from ui.call.hold_timer import HoldTimer

PHASE_WORDS = {
    CallPhase.GREETING: "Greeting: verify the caller before discussing the account",
    CallPhase.IDENTITY: "Identity check: not verified yet",
    CallPhase.WORK: "Caller verified",
    CallPhase.ON_HOLD: "Caller on hold",
    CallPhase.WRAP_UP: "Call ended: wrap-up due",
    CallPhase.DONE: "No call",
}
TRANSFER_TARGETS = (
    "Team lead / manager",
    "Third-party billing vendor",
    "Insurance verification team",
    "Clinic front desk",
)


class CallBar(QFrame):
    wrapUpRequested = Signal()  # the main window opens the wrap-up dialog

    def __init__(self, controller: CallController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("callBar")
        self.setAccessibleName("Call")
        self._controller = controller

        self.phase = QLabel(PHASE_WORDS[CallPhase.DONE], self)
        self.phase.setObjectName("callPhase")
        self.caller = QLabel(self)
        self.caller.setObjectName("muted")
        self.badge = QLabel(self)
        self.badge.setObjectName("verifiedBadge")
        self.secure = QLabel("Secure mode: recording paused", self)
        self.secure.setObjectName("secureBadge")
        self.secure.setToolTip("Card or bank fields are open; the call recording is paused")
        self.secure.hide()
        self.length = QLabel(self)
        self.length.setFont(theme.tabular(self.font()))
        self.length.setAccessibleName("Call length")
        self.start_button = self._button("&Start call", "Ctrl+Shift+N", "Start a call by hand")
        self.hold_button = self._button("&Hold", "Ctrl+H", "Put the caller on hold")
        self.transfer_button = self._button("&Transfer…", None, "Transfer the caller")
        self.end_button = self._button("&End call", "Ctrl+E", "The caller is gone: wrap up")
        self.wrap_button = self._button("&Wrap up…", None, "Disposition and notes")
        self.scripts_button = self._button("Scri&pts", "F2", "Show or hide the scripts and help")
        self.scripts_button.setShortcut(QKeySequence())  # F2 belongs to the View menu
        self.timer = HoldTimer(controller, self)

        words = QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.phase)
        line = QHBoxLayout()
        line.setSpacing(theme.SPACE_M)
        line.addWidget(self.caller)
        line.addWidget(self.badge)
        line.addWidget(self.secure)
        line.addStretch(1)
        words.addLayout(line)
        top = QHBoxLayout()
        top.addLayout(words, 1)
        top.addWidget(self.length)
        for button in (self.start_button, self.hold_button, self.transfer_button,
                       self.end_button, self.wrap_button, self.scripts_button):  # fmt: skip
            top.addWidget(button)
        column = QVBoxLayout(self)
        column.setContentsMargins(theme.SPACE_S, theme.SPACE_XS, theme.SPACE_S, theme.SPACE_XS)
        column.setSpacing(theme.SPACE_XS)
        column.addLayout(top)
        column.addWidget(self.timer)

        self.start_button.clicked.connect(self.start_call)
        self.hold_button.clicked.connect(self.hold)
        self.transfer_button.clicked.connect(self.transfer)
        self.end_button.clicked.connect(self.end_call)
        self.wrap_button.clicked.connect(self.wrapUpRequested)
        controller.callChanged.connect(self.refresh)
        controller.ticked.connect(self._show_length)
        self.refresh()

    def _button(self, text: str, shortcut: str | None, tip: str) -> QPushButton:
        button = QPushButton(text, self)
        if shortcut:
            button.setShortcut(QKeySequence(shortcut))
            tip = f"{tip} ({shortcut})"
        button.setToolTip(tip)
        return button

    def set_secure(self, on: bool) -> None:
        """Show the secure-mode badge while card or bank fields are open."""
        self.secure.setVisible(on)

    # -- actions -------------------------------------------------------------------------
    def start_call(self) -> None:
        self._try(self._controller.start_call)

    def hold(self) -> None:
        self._try(self._controller.hold)

    def transfer(self) -> None:
        target, ok = QInputDialog.getItem(
            self, "Transfer the call", "Transfer to:", list(TRANSFER_TARGETS), 0, False
        )
        if ok and target:
            self._try(lambda: self._controller.transfer(target))

    def end_call(self) -> None:
        if self._try(self._controller.end):
            self.wrapUpRequested.emit()

    def _try(self, step: object) -> bool:
        try:
            step()  # type: ignore[operator]
        except CallError as exc:
            QMessageBox.information(self, "Call", str(exc))
            return False
        return True

    # -- showing -------------------------------------------------------------------------
    def refresh(self) -> None:
        call = self._controller.call
        phase = call.phase if call is not None else CallPhase.DONE
        live = call is not None and phase is not CallPhase.DONE
        self.phase.setText(PHASE_WORDS[phase])
        self.setProperty("active", "true" if live else "false")
        if call is not None and live:
            who = [display(call.caller_number) or "Caller number unknown"]
            if call.caller_name:
                relation = f" ({call.caller_relationship})" if call.caller_relationship else ""
                who.append(call.caller_name + relation)
            self.caller.setText(" · ".join(who))
            verified = call.verification is not None
            self.badge.setText(
                f"Verified: {_method_words(call.verification.method)}"
                if call.verification is not None
                else "Not verified"
            )
            self.badge.setProperty("verified", "true" if verified else "false")
        else:
            self.caller.setText("Start a call by hand (Ctrl+Shift+N), or it starts when one rings")
            self.badge.setText("")
        on_line = live and phase not in (CallPhase.WRAP_UP,)
        self.start_button.setVisible(not live)
        self.hold_button.setVisible(on_line)
        self.hold_button.setEnabled(phase is not CallPhase.ON_HOLD)
        self.transfer_button.setVisible(on_line)
        self.transfer_button.setEnabled(phase is not CallPhase.ON_HOLD)
        self.end_button.setVisible(on_line)
        self.end_button.setEnabled(phase is not CallPhase.ON_HOLD)
        self.end_button.setToolTip(
            "Resume the caller before ending the call"
            if phase is CallPhase.ON_HOLD
            else "The caller is gone: wrap up (Ctrl+E)"
        )
        self.wrap_button.setVisible(phase is CallPhase.WRAP_UP)
        self.secure.setVisible(live and call is not None and call.recording_paused)
        self._show_length()
        theme.repolish(self)

    def _show_length(self) -> None:
        call = self._controller.call
        live = call is not None and call.wrap_up is None
        self.length.setVisible(live)
        if call is not None and live:
            if call.ended is None:
                self.length.setText(mm_ss(call.elapsed()))
            else:
                self.length.setText(f"After-call {mm_ss(call.after_call_seconds())}")


def _method_words(method: str) -> str:
    """``name+dob+zip`` -> ``name, date of birth, ZIP code``."""
    words = []
    for part in method.split("+"):
        try:
            words.append(FACTOR_WORDS[Factor(part)])
        except ValueError:
            words.append(part)
    return ", ".join(words)
