"""The hold timer: a large m:ss of the time since the caller last heard from the agent.

Calm until the policy's warning (2:30), amber with a sound and a suggested check-in line
then, red at the breach (3:00). It draws what the domain says; the controller's timer
only asks it to redraw.
"""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from app.domain.call import CallError
from app.domain.hold import HoldLevel, mm_ss
from app.services.knowledge import Knowledge, fill
from ui import theme
from ui.call.controller import CallController

CAPTION = {
    HoldLevel.CALM: "on hold since the caller last heard from you",
    HoldLevel.WARNING: "Check in with the caller now",
    HoldLevel.BREACH: "Over the limit: check in now (recorded)",
}


class HoldTimer(QFrame):
    def __init__(self, controller: CallController, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("holdTimer")
        self.setAccessibleName("Hold timer")
        self._controller = controller
        self._agent = ""
        self._practice = ""
        self.level = HoldLevel.CALM

        self.time = QLabel("0:00", self)
        self.time.setObjectName("holdTime")
        self.time.setFont(theme.tabular(theme.scaled_font(self.font(), 2.6, bold=True)))
        self.time.setAccessibleName("Time since the caller last heard from you")
        self.caption = QLabel(CAPTION[HoldLevel.CALM], self)
        self.caption.setWordWrap(True)
        self.line = QLabel(self)
        self.line.setObjectName("checkInLine")
        self.line.setWordWrap(True)
        self.line.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.line.setAccessibleName("Suggested check-in line")
        self.line.hide()
        self.check_in_button = QPushButton("Check &in", self)
        self.check_in_button.setShortcut(QKeySequence("Ctrl+K"))
        self.check_in_button.setToolTip("Tell the caller you are still working on it (Ctrl+K)")
        self.resume_button = QPushButton("&Resume", self)
        self.resume_button.setShortcut(QKeySequence("Ctrl+R"))
        self.resume_button.setToolTip("Take the caller off hold (Ctrl+R)")

        words = QVBoxLayout()
        words.setSpacing(0)
        words.addWidget(self.caption)
        words.addWidget(self.line)
        buttons = QVBoxLayout()
        buttons.addWidget(self.check_in_button)
        buttons.addWidget(self.resume_button)
        row = QHBoxLayout(self)
        row.setContentsMargins(theme.SPACE_M, theme.SPACE_XS, theme.SPACE_M, theme.SPACE_XS)
        row.addWidget(self.time)
        row.addSpacing(theme.SPACE_M)
        row.addLayout(words, 1)
        row.addLayout(buttons)
        self.setProperty("level", self.level.value)

        self.check_in_button.clicked.connect(self._check_in)
        self.resume_button.clicked.connect(self._resume)
        controller.ticked.connect(self.refresh)
        controller.callChanged.connect(self.refresh)
        self.refresh()

    def set_names(self, agent: str, practice: str) -> None:
        self._agent, self._practice = agent, practice

    def refresh(self) -> None:
        call = self._controller.call
        hold = call.hold if call is not None else None
        self.setVisible(hold is not None)
        if hold is None:
            return
        self.time.setText(mm_ss(hold.silence()))
        level = hold.level()
        if level is not self.level:
            self.level = level
            self.setProperty("level", level.value)
            self.caption.setText(CAPTION[level])
            self.line.setText(self._check_in_line() if level is not HoldLevel.CALM else "")
            self.line.setVisible(level is not HoldLevel.CALM)
            theme.repolish(self)

    def _check_in_line(self) -> str:
        try:
            spoken = Knowledge.load().get("check-in").spoken
        except (KeyError, OSError, ValueError):
            spoken = (
                "Thank you for waiting. I'm still working on this; can you hold a little longer?"
            )
        first = spoken.split("\n\n")[0]
        call = self._controller.call
        caller = (call.caller_name or "").split(" ")[0] if call is not None else ""
        text = fill(
            first,
            agent=self._agent,
            practice=self._practice,
            minutes=self._minutes_left(),
            caller=caller,
        )
        # Without the caller's name, the sentence reads well without the placeholder.
        return "“" + text.replace(", {caller}", "").replace("{caller}", "") + "”"

    def _minutes_left(self) -> str:
        """Until the next check-in is due, as promised to the caller (at least one)."""
        policy = self._controller.policy
        return str(max(1, round(policy.warn_after / 60)))

    def _check_in(self) -> None:
        try:
            self._controller.check_in()
        except CallError:
            self.refresh()

    def _resume(self) -> None:
        try:
            self._controller.resume()
        except CallError:
            self.refresh()
