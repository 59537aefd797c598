"""The desk's main window: lookup on the left, the opened account on the right."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QByteArray, QSettings, Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QGuiApplication, QIcon, QKeySequence, QShowEvent
from PySide6.QtWidgets import (
    QLabel,
    QMainWindow,
    QMessageBox,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from app import __version__
from app.services.views import LookupResult
from ui import theme
from ui.account.view import AccountView
from ui.call.controller import CallController
from ui.call.wiring import CallWiring
from ui.lock import IdleWatcher, LockPage
from ui.lookup.panel import LookupPanel
from ui.payments.wiring import PaymentWiring
from ui.sync_status import OfflineBanner, SyncController, describe
from ui.workers import ProgressCallback, TaskRunner, settle_garbage_collector

if TYPE_CHECKING:
    from app.services.desk import Desk

log = logging.getLogger(__name__)

TITLE = "PA Desk"
ICON_PATH = Path(__file__).resolve().parent.parent / "resources" / "icons" / "pa-desk.svg"
SYNC_PLACEHOLDER = "Sync: local only"

# What opening the database needs: given a progress callback, return an open desk.
DeskOpener = Callable[[ProgressCallback], "Desk"]

SHORTCUTS = (
    ("Ctrl+F", "Find a caller (from anywhere)"),
    ("Down / Up", "Move between the search box and the results"),
    ("Enter", "Open the account of the selected (or first) result"),
    ("Double-click", "Open the account of a result"),
    ("Escape", "Clear the search box"),
    ("Ctrl+Shift+L", "Show or hide the lookup panel"),
    ("F5", "Sync now with the central database"),
    ("Ctrl+Shift+N", "Start a call by hand (a ringing call starts by itself)"),
    ("Ctrl+H", "Put the caller on hold"),
    ("Ctrl+K", "Check in with the caller on hold (restarts the hold clock)"),
    ("Ctrl+R", "Resume: take the caller off hold"),
    ("Ctrl+E", "End the call and wrap up"),
    ("F2", "Show or hide the scripts and help"),
    ("Ctrl+Q", "Quit"),
)


def app_icon() -> QIcon:
    return QIcon(str(ICON_PATH)) if ICON_PATH.exists() else QIcon()


class MainWindow(QMainWindow):
    """Menu, status bar and a splitter with the lookup panel and the account view."""

    deskOpened = Signal(object)  # the Desk, now answering
    deskOpenFailed = Signal(str)  # the message shown to the agent

    def __init__(self, settings: QSettings | None = None, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._settings = settings if settings is not None else QSettings()
        self._desk: Desk | None = None
        self._opener = TaskRunner(self)
        self.error_box: QMessageBox | None = None
        self._database_name = ""

        self.setWindowTitle(TITLE)
        self.setWindowIcon(app_icon())
        self.lookup = LookupPanel(self)
        self.account = AccountView(self)
        self.splitter = QSplitter(Qt.Orientation.Horizontal, self)
        self.splitter.setObjectName("mainSplitter")
        self.splitter.addWidget(self.lookup)
        self.splitter.addWidget(self.account)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.setStretchFactor(0, 1)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setHandleWidth(theme.SPACE_S)
        self.offline_banner = OfflineBanner(self)
        body = QWidget(self)
        column = QVBoxLayout(body)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(theme.SPACE_XS)
        column.addWidget(self.offline_banner)
        self.calls = CallController(self)
        self.call_wiring = CallWiring(self, self.calls)
        self.call_bar = self.call_wiring.bar
        self.payment_wiring = PaymentWiring(self, self.calls)
        column.addWidget(self.call_bar)  # above every panel, so the hold timer is too
        column.addWidget(self.splitter, 1)
        self.pages = QStackedWidget(self)
        self.pages.addWidget(body)
        self.work_page = body
        self.setCentralWidget(self.pages)
        self.sync: SyncController | None = None
        self.idle: IdleWatcher | None = None
        self.lock_page: LockPage | None = None
        self._enabled_before_lock: dict[QAction, bool] = {}
        self.setMinimumSize(theme.char_width(self, 110), theme.line_height(self) * 30)

        self._build_menus()
        self._build_status_bar()
        self._connect()
        self._restore_layout()

    # -- building ---------------------------------------------------------------------
    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu("&File")
        self.quit_action = self._action("&Quit", "Ctrl+Q", self.close)
        file_menu.addAction(self.quit_action)

        edit_menu = bar.addMenu("&Edit")
        self.find_action = self._action("&Find patient", "Ctrl+F", self.find_patient)
        self.find_action.setStatusTip("Put the cursor in the search box")
        edit_menu.addAction(self.find_action)

        view_menu = bar.addMenu("&View")
        self.toggle_lookup_action = self._action(
            "&Lookup panel", "Ctrl+Shift+L", self._set_lookup_visible
        )
        self.toggle_lookup_action.setCheckable(True)
        self.toggle_lookup_action.setChecked(True)
        view_menu.addAction(self.toggle_lookup_action)
        self.scripts_action = self.call_wiring.dock.toggleViewAction()
        self.scripts_action.setText("&Scripts and help")
        self.scripts_action.setShortcut(QKeySequence("F2"))
        self.addAction(self.scripts_action)
        view_menu.addAction(self.scripts_action)

        payments_menu = bar.addMenu("&Payments")
        self.payment_wiring.build_menu(payments_menu)

        sync_menu = bar.addMenu("&Sync")
        self.sync_action = self._action("&Sync now", "F5", self.sync_now)
        self.sync_action.setStatusTip("Send this desk's changes and fetch everyone else's")
        self.sync_action.setEnabled(False)
        sync_menu.addAction(self.sync_action)
        self.conflicts_action = self._action("&Conflicts…", None, self.show_conflicts)
        self.conflicts_action.setEnabled(False)
        sync_menu.addAction(self.conflicts_action)

        help_menu = bar.addMenu("&Help")
        self.shortcuts_action = self._action("&Keyboard shortcuts", "F1", self.show_shortcuts)
        help_menu.addAction(self.shortcuts_action)
        self.about_action = self._action("&About PA Desk", None, self.show_about)
        help_menu.addAction(self.about_action)

    def _action(self, text: str, shortcut: str | None, slot: Callable[..., object]) -> QAction:
        action = QAction(text, self)
        if shortcut:
            action.setShortcut(QKeySequence(shortcut))
            action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        action.triggered.connect(slot)
        self.addAction(action)  # shortcuts work even when the menu bar is hidden
        return action

    def _build_status_bar(self) -> None:
        status = self.statusBar()
        status.setSizeGripEnabled(True)
        self.database_label = QLabel("Database: not open", self)
        self.database_label.setAccessibleName("Database")
        self.user_label = QLabel("Not signed in", self)
        self.user_label.setAccessibleName("Signed-in user")
        self.sync_label = QLabel(SYNC_PLACEHOLDER, self)
        self.sync_label.setAccessibleName("Sync state")
        for label in (self.database_label, self.user_label, self.sync_label):
            status.addPermanentWidget(label)

    def _connect(self) -> None:
        self.lookup.resultActivated.connect(self._open_result)
        self.account.accountFailed.connect(self._show_status)
        self._opener.progressed.connect(self._on_open_progress)
        self._opener.succeeded.connect(self._on_desk_opened)
        self._opener.failed.connect(self._on_desk_failed)

    # -- the desk ---------------------------------------------------------------------
    @property
    def desk(self) -> Desk | None:
        return self._desk

    def open_desk_with(self, opener: DeskOpener, label: str = "") -> None:
        """Open the database in a worker; the window stays usable (typing is kept).

        ``label`` names the database (no password) in the status bar and in errors.
        """
        self._database_name = label
        self.statusBar().showMessage("Opening database…")
        self.database_label.setText(f"{label} · opening…" if label else "Database: opening…")
        self._opener.submit_reporting(_call_opener, opener)

    def set_desk(self, desk: Desk | None) -> None:
        self._desk = desk
        if desk is None:
            self.database_label.setText("Database: not open")
            self.user_label.setText("Not signed in")
        else:
            self.database_label.setText(desk.database_label)
            self.user_label.setText(f"{desk.user.display_name} · {desk.user.role.title()}")
            self.database_label.setToolTip("The database this desk works on")
        self.account.set_desk(desk)
        self.lookup.set_desk(desk)
        self.call_wiring.set_desk(desk)
        self.payment_wiring.set_desk(desk)
        self._start_sync(desk)
        self._start_idle_lock(desk)

    # -- idle lock ------------------------------------------------------------------------
    def _start_idle_lock(self, desk: Desk | None) -> None:
        if self.idle is not None:
            self.idle.stop()
            self.idle.deleteLater()
            self.idle = None
        if self.lock_page is not None:
            self.unlock()
            self.pages.removeWidget(self.lock_page)
            self.lock_page.deleteLater()
            self.lock_page = None
        if desk is None:
            return
        self.lock_page = LockPage(
            desk.verify_password,
            desk.user.display_name,
            needs_password=desk.needs_password,
            parent=self,
        )
        self.lock_page.unlocked.connect(self.unlock)
        self.pages.addWidget(self.lock_page)
        self.idle = IdleWatcher(desk.idle_lock_minutes * 60_000, self)
        self.idle.idle.connect(self.lock)
        self.idle.start()

    @property
    def locked(self) -> bool:
        return self.lock_page is not None and self.pages.currentWidget() is self.lock_page

    def lock(self) -> None:
        """Hide the work behind the lock page; every widget under it keeps its state."""
        if self.lock_page is None or self.locked:
            return
        call = self.calls.call
        if call is not None and call.hold is not None and call.wrap_up is None:
            # A caller on hold needs the timer in sight: lock once they are back.
            if self.idle is not None:
                self.idle.touch()
            return
        if not self.payment_wiring.close_all():
            if self.idle is not None:  # a payment is on its way to the gateway: not now
                self.idle.touch()
            return
        self._enabled_before_lock = {a: a.isEnabled() for a in self.actions()}
        for action in self._enabled_before_lock:
            action.setEnabled(False)  # no shortcut reaches the hidden work
        self.menuBar().setEnabled(False)
        self.pages.setCurrentWidget(self.lock_page)
        self.lock_page.reset()
        self.user_label.setText(f"{self.user_label.text()} · locked")

    def unlock(self) -> None:
        if not self.locked:
            return
        for action, enabled in self._enabled_before_lock.items():
            action.setEnabled(enabled)
        self._enabled_before_lock = {}
        self.menuBar().setEnabled(True)
        self.pages.setCurrentWidget(self.work_page)
        self.user_label.setText(self.user_label.text().removesuffix(" · locked"))
        if self.idle is not None:
            self.idle.touch()
        self.lookup.focus_search()

    # -- sync ---------------------------------------------------------------------------
    def _start_sync(self, desk: Desk | None) -> None:
        if self.sync is not None:
            self.sync.stop()
            self.sync.deleteLater()
            self.sync = None
        link = desk.link if desk is not None else None
        self.sync_action.setEnabled(link is not None)
        self.conflicts_action.setEnabled(link is not None)
        if link is None:
            self.sync_label.setText(SYNC_PLACEHOLDER)
            self.offline_banner.hide()
            return
        self.sync = SyncController(link, self)
        self.sync.statusChanged.connect(self._show_sync_status)
        self.sync.synced.connect(self._on_synced)
        self.account.accountShown.connect(self.sync.refresh_status)
        self.sync_label.setText("Sync: starting")
        self.sync.start()

    def sync_now(self) -> None:
        if self.sync is not None:
            self.sync_label.setText("Syncing…")
            self.sync.sync_now()

    def _show_sync_status(self, status: object) -> None:
        text, tip = describe(status)  # type: ignore[arg-type]
        self.sync_label.setText(text)
        self.sync_label.setToolTip(tip)
        self.offline_banner.setVisible(getattr(status, "online", None) is False)

    def _on_synced(self, report: object) -> None:
        if getattr(report, "online", False) and getattr(report, "pulled", 0):
            self.statusBar().showMessage(f"Sync: {getattr(report, 'message', '')}", 5000)

    def show_conflicts(self) -> None:
        if self.sync is None:
            return
        from ui.conflicts import ConflictsDialog

        dialog = ConflictsDialog(self.sync.link, self)
        dialog.finished.connect(lambda _code: self.sync_now())
        dialog.open()

    def _on_open_progress(self, _seq: int, message: str) -> None:
        if message.strip().lower() != "ready":
            self.statusBar().showMessage(message)

    def _on_desk_opened(self, _seq: int, desk: object) -> None:
        settle_garbage_collector()  # start-up's objects: never walked again (no GC stalls)
        self.set_desk(desk)  # type: ignore[arg-type]
        self.statusBar().showMessage("Ready", 3000)
        self.deskOpened.emit(desk)

    def _on_desk_failed(self, _seq: int, error: object) -> None:
        log.error("opening the database failed", exc_info=error)  # type: ignore[arg-type]
        message = describe_open_error(error)
        self.statusBar().showMessage("Database not available")
        self.database_label.setText("Database: not available")
        which = f" ({self._database_name})" if self._database_name else ""
        box = QMessageBox(
            QMessageBox.Icon.Critical,
            TITLE,
            f"The desk could not open its database{which}.",
            QMessageBox.StandardButton.Ok,
            self,
        )
        box.setInformativeText(message)
        box.setAccessibleName("Database error")
        box.open()  # window-modal, does not block the event loop
        self.error_box = box
        self.deskOpenFailed.emit(message)

    # -- actions ----------------------------------------------------------------------
    def find_patient(self) -> None:
        if not self.lookup.isVisible():
            self.toggle_lookup_action.setChecked(True)
            self._set_lookup_visible(True)
        self.lookup.focus_search()

    def _set_lookup_visible(self, visible: bool) -> None:
        self.lookup.setVisible(visible)
        if visible:
            self.lookup.focus_search()

    def _open_result(self, result: LookupResult) -> None:
        self.account.open_account(result.account_id, result.patient_id)

    def _show_status(self, message: str) -> None:
        self.statusBar().showMessage(message, 8000)

    def show_about(self) -> None:
        from PySide6 import __version__ as pyside_version

        QMessageBox.about(
            self,
            "About PA Desk",
            f"<h3>PA Desk {__version__}</h3>"
            "<p>The patient-accounts desk: find the caller, explain the balance, "
            "take the payment.</p>"
            f"<p>Qt for Python {pyside_version}</p>",
        )

    def show_shortcuts(self) -> None:
        rows = "".join(
            f"<tr><td><b>{keys}</b>&nbsp;&nbsp;</td><td>{what}</td></tr>"
            for keys, what in SHORTCUTS
        )
        box = QMessageBox(
            QMessageBox.Icon.NoIcon,
            "Keyboard shortcuts",
            f"<table>{rows}</table>",
            QMessageBox.StandardButton.Close,
            self,
        )
        box.open()

    # -- layout memory ----------------------------------------------------------------
    def _restore_layout(self) -> None:
        geometry = self._settings.value("mainWindow/geometry")
        if isinstance(geometry, QByteArray | bytes) and self.restoreGeometry(QByteArray(geometry)):
            pass
        else:
            self._default_geometry()
        splitter = self._settings.value("mainWindow/splitter")
        self._split_evenly_on_show = not (
            isinstance(splitter, QByteArray | bytes)
            and self.splitter.restoreState(QByteArray(splitter))
        )

    def _default_geometry(self) -> None:
        screen = self.screen() or QGuiApplication.primaryScreen()
        if screen is None:
            self.resize(1280, 720)
            return
        area = screen.availableGeometry()
        width = max(self.minimumWidth(), int(area.width() * 0.9))
        height = max(self.minimumHeight(), int(area.height() * 0.9))
        self.resize(min(width, area.width()), min(height, area.height()))
        frame = self.frameGeometry()
        frame.moveCenter(area.center())
        self.move(frame.topLeft())

    def save_layout(self) -> None:
        self._settings.setValue("mainWindow/geometry", self.saveGeometry())
        if self.lookup.isVisible():  # a hidden panel would come back with no width
            self._settings.setValue("mainWindow/splitter", self.splitter.saveState())
        self._settings.sync()

    def showEvent(self, event: QShowEvent) -> None:
        super().showEvent(event)
        if self._split_evenly_on_show:  # first run: half and half, at the real width
            self._split_evenly_on_show = False
            total = sum(self.splitter.sizes())
            self.splitter.setSizes([total // 2, total - total // 2])

    def closeEvent(self, event: QCloseEvent) -> None:
        if not self.payment_wiring.close_all():
            self.statusBar().showMessage(
                "A payment is waiting for the gateway's answer: quit once it has come", 8000
            )
            event.ignore()
            return
        self.calls.save()  # the call as it stands: its trail is never lost on quit
        self.calls.wait_for_saves()  # before the desk (and its database) closes
        self.call_wiring.stop_cti()
        if self.sync is not None:
            self.sync.stop()
        if self.idle is not None:
            self.idle.stop()
        self.save_layout()
        super().closeEvent(event)


def _call_opener(opener: DeskOpener, progress: ProgressCallback) -> Desk:
    return opener(progress)


def describe_open_error(error: object) -> str:
    """A short, traceback-free explanation of why the database did not open."""
    from app.services.errors import DeskError

    name = type(error).__name__
    if isinstance(error, DeskError):
        return str(error)
    first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
    # SQLAlchemy prefixes the driver's exception class: "(psycopg.OperationalError) ..."
    first_line = re.sub(r"^\([\w.]+\)\s*", "", first_line)
    if len(first_line) > 300:
        first_line = first_line[:297] + "…"
    hint = "Check that the database file or server is reachable and not in use elsewhere."
    return f"{name}: {first_line}\n\n{hint}" if first_line else f"{name}\n\n{hint}"
