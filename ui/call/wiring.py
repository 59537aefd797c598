"""How the call reaches every part of the window: the call bar above the work, the
scripts beside it, masking in the lookup and the account, the screen-pop from the
phone system, the wrap-up dialog, and a tray notice when the window is not in front.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, Qt
from PySide6.QtWidgets import QApplication, QDockWidget, QSystemTrayIcon

from app.config import data_dir
from app.domain.call import CallAction, CallError
from app.domain.hold import mm_ss
from app.domain.phones import display
from app.integrations.cti import CtiError, CtiEvent, CtiEventKind
from app.services.views import LookupAnswer
from ui.call.bar import CallBar
from ui.call.controller import CallController
from ui.call.knowledge import KnowledgePanel
from ui.call.wrap_up import WrapUpDialog

if TYPE_CHECKING:
    from app.services.desk import Desk
    from ui.cti_socket import LocalCtiServer
    from ui.main_window import MainWindow

log = logging.getLogger(__name__)

WIDE_ENOUGH_FOR_SCRIPTS = 1500  # pixels: lookup, account and scripts side by side


class CallWiring(QObject):
    def __init__(self, window: MainWindow, controller: CallController) -> None:
        super().__init__(window)
        self.window = window
        self.calls = controller
        self.bar = CallBar(controller, window)
        self.knowledge = KnowledgePanel(parent=window)
        self.dock = QDockWidget("Scripts and help", window)
        self.dock.setObjectName("knowledgeDock")
        self.dock.setWidget(self.knowledge)
        self.dock.setFeatures(
            QDockWidget.DockWidgetFeature.DockWidgetClosable
            | QDockWidget.DockWidgetFeature.DockWidgetMovable
        )
        window.addDockWidget(Qt.DockWidgetArea.RightDockWidgetArea, self.dock)
        self.dock.hide()  # beside the call: it opens when a call starts (F2 any time)
        self.wrap_up: WrapUpDialog | None = None
        self.cti: LocalCtiServer | None = None
        self.tray: QSystemTrayIcon | None = None
        self.last_notice = ""  # what the agent was last told outside the window
        self._pop_text: str | None = None  # the screen-pop's search, until it answers

        window.account.set_calls(controller)
        window.lookup.model.set_masking(controller.masks)
        self.bar.wrapUpRequested.connect(self.open_wrap_up)
        self.bar.scripts_button.clicked.connect(self.dock.toggleViewAction().trigger)
        controller.callChanged.connect(self._on_call_changed)
        controller.callStarted.connect(self._on_started)
        controller.holdStarted.connect(lambda: self._show_script("hold"))
        controller.holdWarned.connect(self._on_warned)
        controller.holdBreached.connect(self._on_breached)
        controller.holdResumed.connect(lambda: self._show_script("resume"))
        controller.callEnded.connect(lambda: self._show_script("closing"))
        controller.callFinished.connect(self._on_finished)
        controller.saveFailed.connect(lambda text: window.statusBar().showMessage(text, 8000))
        controller.secureModeChanged.connect(self._on_secure_mode)
        window.account.tabs.currentChanged.connect(self._on_tab)
        window.lookup.searchFinished.connect(self._on_search_finished)

    # -- the desk ---------------------------------------------------------------------
    def set_desk(self, desk: Desk | None) -> None:
        self.calls.set_desk(desk)
        if desk is None:
            self.stop_cti()
            return
        self.knowledge.set_names(desk.user.display_name, desk.policy.practice_name)
        self.bar.timer.set_names(desk.user.display_name, desk.policy.practice_name)
        self.start_cti()
        if QSystemTrayIcon.isSystemTrayAvailable() and self.tray is None:
            self.tray = QSystemTrayIcon(self.window.windowIcon(), self)
            self.tray.setToolTip("PA Desk")
            self.tray.show()

    def start_cti(self, name: str | None = None) -> None:
        """Listen for the phone system's events (the local stand-in: ``pa-desk ring``)."""
        from ui.cti_socket import LocalCtiServer, server_name

        self.stop_cti()
        server = LocalCtiServer(name or server_name(data_dir()), self)
        try:
            server.start(self.on_cti_event)
        except CtiError as exc:
            log.warning("screen-pop is off: %s", exc)
            self.window.statusBar().showMessage(f"Screen-pop is off: {exc}", 10_000)
            server.deleteLater()
            return
        self.cti = server

    def stop_cti(self) -> None:
        if self.cti is not None:
            self.cti.stop()
            self.cti.deleteLater()
            self.cti = None

    # -- screen-pop --------------------------------------------------------------------
    def on_cti_event(self, event: CtiEvent) -> None:
        if event.kind is CtiEventKind.RING:
            self.screen_pop(event.number_e164, event.call_ref or None)

    def screen_pop(self, number_e164: str | None, call_ref: str | None = None) -> None:
        """A call rings: start it and look the number up; one account opens by itself."""
        if self.calls.active:
            self.window.statusBar().showMessage(
                "Another call rang; finish this call first (it goes back to the queue)", 8000
            )
            # The phone system hears the refusal (``pa-desk ring`` prints it).
            raise CtiError("the agent is on another call")
        self.calls.start_call(number_e164, call_ref)
        self.window.raise_()
        self.window.activateWindow()
        if not number_e164:  # withheld: the agent asks and searches by name
            self.window.lookup.focus_search()
            self.window.statusBar().showMessage("Caller's number withheld: ask who is calling")
            return
        text = display(number_e164)
        self._pop_text = text
        self.window.lookup.search.clear()  # the same number again must search again
        self.window.lookup.search.setText(text)

    def _on_search_finished(self, answer: LookupAnswer) -> None:
        if self._pop_text is None or answer.text != self._pop_text:
            return
        self._pop_text = None
        accounts = {r.account_id for r in answer.results}
        if len(accounts) == 1:
            first = answer.results[0]
            self.window.account.open_account(first.account_id, first.patient_id)
        elif not accounts:
            self.window.statusBar().showMessage(
                "No account has this number on file; search by name or date of birth", 8000
            )
        else:
            self.window.statusBar().showMessage(
                f"{len(accounts)} accounts have this number: ask who is calling", 8000
            )

    # -- the call ----------------------------------------------------------------------
    def open_wrap_up(self) -> None:
        if self.calls.call is None or self.calls.call.wrap_up is not None:
            return
        if self.calls.call.ended is None:
            try:
                self.calls.end()
            except CallError as exc:
                self.window.statusBar().showMessage(str(exc), 8000)
                return
        if self.wrap_up is not None and self.wrap_up.isVisible():
            self.wrap_up.raise_()
            return
        self.wrap_up = WrapUpDialog(self.calls, self.window)
        self.wrap_up.open()

    def _on_started(self) -> None:
        # Beside the call when there is room for it next to the lookup and the account;
        # on a narrower screen the agent opens it (F2, or Scripts in the call bar).
        if self.window.width() >= WIDE_ENOUGH_FOR_SCRIPTS:
            self.dock.show()
        self._pop_text = None
        self._show_script("greeting")

    def _on_call_changed(self) -> None:
        self.window.lookup.model.set_masking(self.calls.masks)
        call = self.calls.call
        desk = self.window.desk
        if desk is not None:
            caller = (call.caller_name or "").split(" ")[0] if call is not None else ""
            self.knowledge.set_names(desk.user.display_name, desk.policy.practice_name, caller)

    def _on_secure_mode(self, on: bool, call_ref: str) -> None:
        """Card fields open: ask the phone system to pause the call's recording (and to
        resume it when they close). Without a phone-system call id the agent is told to
        use the phone's own pause."""
        if call_ref and self.cti is not None:
            if on:
                self.cti.pause_recording(call_ref)
            else:
                self.cti.resume_recording(call_ref)
            text = "Secure mode: recording paused" if on else "Recording resumed"
        elif on:
            text = "Secure mode: pause the call recording on your phone now"
        else:
            text = "Card fields closed: resume the call recording on your phone"
        self.bar.set_secure(on)
        self.window.statusBar().showMessage(text, 8000)

    def _on_tab(self, index: int) -> None:
        account = self.window.account
        if account.tabs.widget(index) is account.explainer and not account.masked:
            self.calls.note_action(CallAction.EXPLAINED_BALANCE)

    def _on_finished(self) -> None:
        self.window.statusBar().showMessage("Call wrapped up and saved", 5000)
        self.window.account.reopen()

    def _show_script(self, slug: str) -> None:
        try:
            self.knowledge.show_article(slug)
        except KeyError:  # a script an administrator removed: the call goes on
            log.warning("no script %r to show", slug)

    def _on_warned(self) -> None:
        self._notify(
            f"Caller on hold {mm_ss(self.calls.policy.warn_after)} without an update: check in now"
        )
        self._show_script("check-in")

    def _on_breached(self) -> None:
        self._notify(
            f"Caller on hold over {mm_ss(self.calls.policy.breach_after)} without an "
            "update: check in now"
        )

    def _notify(self, text: str) -> None:
        """Reach the agent when the desk is not in front: tray message and a taskbar
        alert. No PHI: the notice names no caller."""
        if self.window.isActiveWindow():
            return
        self.last_notice = text
        if self.tray is not None and QSystemTrayIcon.supportsMessages():
            self.tray.showMessage("PA Desk: hold", text, QSystemTrayIcon.MessageIcon.Warning)
        QApplication.alert(self.window)
