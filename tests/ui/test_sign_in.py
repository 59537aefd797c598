"""The sign-in dialog: checked by the server in a worker, errors next to the fields, and
"remember" only when the machine has a keyring that can keep a secret."""

from __future__ import annotations

from pytestqt.qtbot import QtBot

from app.services.sync import SignInFailed
from ui.sign_in import SignInDialog


def _verify(login: str, password: str) -> None:
    if password != "right password":
        raise SignInFailed("The user name or password is not right.")


def _dialog(qtbot: QtBot, *, usable: bool) -> SignInDialog:
    dialog = SignInDialog(
        "PostgreSQL · db:5432/pa",
        "amorgan",
        keyring_usable=usable,
        keyring_note="This computer has no secure keyring ... asks for it each time",
        verify=_verify,
    )
    qtbot.addWidget(dialog)
    dialog.show()
    return dialog


def test_wrong_then_right_password(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, usable=True)
    dialog.try_sign_in()
    assert dialog.error.text() == "Type your password."
    dialog.password.setText("wrong")
    dialog.try_sign_in()
    qtbot.waitUntil(lambda: "not right" in dialog.error.text(), timeout=3000)
    assert dialog.isVisible() and dialog.login.text() == "amorgan"
    dialog.password.setText("right password")
    with qtbot.waitSignal(dialog.accepted, timeout=3000):
        dialog.try_sign_in()
    assert dialog.remember.isChecked() and dialog.remember.isEnabled()
    assert not dialog.keyring_note.isVisible()


def test_no_keyring_means_no_remember_and_says_why(qtbot: QtBot) -> None:
    dialog = _dialog(qtbot, usable=False)
    assert not dialog.remember.isEnabled() and not dialog.remember.isChecked()
    assert dialog.keyring_note.isVisible()
    assert "asks for it each time" in dialog.keyring_note.text()
    dialog.login.setText("")
    dialog.try_sign_in()
    assert dialog.error.text() == "Type your user name."
