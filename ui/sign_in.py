"""Signing in to a central PostgreSQL database: login and password, checked by the server.

"Remember on this computer" puts the password in the operating system's keyring; when
the machine has no usable keyring the box is off and greyed, and the dialog says why:
the password is then asked each session and stored nowhere.
"""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from ui import theme
from ui.workers import TaskRunner


class SignInDialog(QDialog):
    def __init__(
        self,
        central_label: str,
        login: str,
        *,
        keyring_usable: bool,
        keyring_note: str,
        verify: Callable[[str, str], None],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("Sign in to PA Desk")
        self._verify = verify
        self._runner = TaskRunner(self)
        self._runner.succeeded.connect(self._on_verified)
        self._runner.failed.connect(self._on_refused)

        where = QLabel(f"Central database: {central_label}", self)
        where.setObjectName("muted")
        self.login = QLineEdit(login, self)
        self.login.setAccessibleName("User name")
        self.password = QLineEdit(self)
        self.password.setEchoMode(QLineEdit.EchoMode.Password)
        self.password.setAccessibleName("Password")
        self.error = QLabel("", self)
        self.error.setStyleSheet(f"color: {theme.ERROR};")
        self.error.setWordWrap(True)
        self.remember = QCheckBox("Remember on this computer (in the system keyring)", self)
        self.remember.setChecked(keyring_usable)
        self.remember.setEnabled(keyring_usable)
        self.keyring_note = QLabel(keyring_note, self)
        self.keyring_note.setObjectName("muted")
        self.keyring_note.setWordWrap(True)
        self.keyring_note.setVisible(not keyring_usable)

        form = QFormLayout()
        form.addRow("&User name", self.login)
        form.addRow("&Password", self.password)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel, self
        )
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText("Sign in")
        self.buttons.accepted.connect(self.try_sign_in)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(where)
        layout.addLayout(form)
        layout.addWidget(self.error)
        layout.addWidget(self.remember)
        layout.addWidget(self.keyring_note)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(theme.char_width(self, 60))
        (self.password if login else self.login).setFocus()

    def try_sign_in(self) -> None:
        if not self.login.text().strip():
            self.error.setText("Type your user name.")
            self.login.setFocus()
            return
        if not self.password.text():
            self.error.setText("Type your password.")
            self.password.setFocus()
            return
        self.buttons.setEnabled(False)
        self.error.setText("Signing in…")
        self._runner.submit(self._verify, self.login.text().strip(), self.password.text())

    def _on_verified(self, _seq: int, _value: object) -> None:
        self.error.clear()
        self.buttons.setEnabled(True)
        self.accept()

    def _on_refused(self, _seq: int, error: object) -> None:
        from app.services.errors import DeskError

        self.error.setText(str(error) if isinstance(error, DeskError) else "Could not sign in.")
        self.buttons.setEnabled(True)
        self.password.selectAll()
        self.password.setFocus()
