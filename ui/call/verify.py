"""The identity check, in place of the account while the caller is not verified.

The agent types what the caller says; the desk checks it against the record, so the
record's values never need to be on screen. What did not match is said next to the
field, and nothing typed is lost.
"""

from __future__ import annotations

from datetime import date

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from app.domain.codes import CallerRelationship
from app.domain.dates import parse_us_date
from app.domain.identity import Answers, Factor, Verification, VerificationPolicy
from app.services.views import AccountCard
from ui import theme

RELATIONSHIPS = (
    (CallerRelationship.PARENT, "Parent"),
    (CallerRelationship.SELF, "The patient (self)"),
    (CallerRelationship.GUARDIAN, "Legal guardian"),
    (CallerRelationship.SPOUSE, "Spouse"),
    (CallerRelationship.OTHER, "Other, authorized on the account"),
)
FIELDS = (
    (Factor.NAME, "Patient's or guarantor's &name", "First and last name"),
    (Factor.DOB, "&Date of birth", "MM/DD/YYYY"),
    (Factor.ADDRESS, "Street &address", "e.g. 1207 N Elm St"),
    (Factor.ZIP, "&ZIP code", "5 digits"),
    (Factor.PHONE, "&Phone on file", "e.g. 214-555-0134"),
    (Factor.ACCOUNT, "Acco&unt number", "8 digits"),
)


class VerifyForm(QFrame):
    """Asks who is calling and checks their answers; ``checkRequested`` carries them."""

    checkRequested = Signal(object, str, object)  # Answers, caller name, relationship

    def __init__(self, parent: QWidget | None = None, today: date | None = None) -> None:
        super().__init__(parent)
        self.setObjectName("verifyForm")
        self.setAccessibleName("Verify the caller")
        self._today = today
        self.card: AccountCard | None = None
        self._expected: object = None  # the account being opened

        self.title = QLabel("Verify the caller before discussing this account", self)
        self.title.setFont(theme.scaled_font(self.font(), 1.2, bold=True))
        self.account = QLabel(self)
        self.asks = QLabel(self)
        self.asks.setObjectName("muted")
        self.asks.setWordWrap(True)
        self.caller_name = QLineEdit(self)
        self.caller_name.setPlaceholderText("Who is calling")
        self.caller_name.setAccessibleName("Caller's name")
        self.relationship = QComboBox(self)
        self.relationship.setAccessibleName("Caller's relationship to the patient")
        self.relationship.addItem("Relationship to the patient…", None)
        for value, label in RELATIONSHIPS:
            self.relationship.addItem(label, value)
        self.relationship.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        self.caller_error = QLabel(self)
        self.caller_error.setObjectName("fieldError")
        self.caller_error.hide()
        self.inputs: dict[Factor, QLineEdit] = {}
        self.errors: dict[Factor, QLabel] = {}
        self.result = QLabel(self)
        self.result.setObjectName("fieldError")
        self.result.setWordWrap(True)
        self.check_button = QPushButton("&Check identity", self)
        self.check_button.setDefault(True)
        self.check_button.setAutoDefault(True)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        caller_row = QHBoxLayout()
        caller_row.addWidget(self.caller_name, 1)
        caller_row.addWidget(self.relationship, 0)
        caller_cell = QVBoxLayout()
        caller_cell.setSpacing(0)
        caller_cell.addLayout(caller_row)
        caller_cell.addWidget(self.caller_error)
        form.addRow("Caller", caller_cell)
        for factor, label, hint in FIELDS:
            field = QLineEdit(self)
            field.setPlaceholderText(hint)
            field.setAccessibleName(label.replace("&", ""))
            field.returnPressed.connect(self.check)
            error = QLabel(self)
            error.setObjectName("fieldError")
            error.hide()
            cell = QVBoxLayout()
            cell.setSpacing(0)
            cell.addWidget(field)
            cell.addWidget(error)
            title = QLabel(label, self)
            title.setBuddy(field)
            form.addRow(title, cell)
            self.inputs[factor] = field
            self.errors[factor] = error
        buttons = QHBoxLayout()
        buttons.addWidget(self.result, 1)
        buttons.addWidget(self.check_button)
        column = QVBoxLayout(self)
        column.setContentsMargins(theme.SPACE_L, theme.SPACE_M, theme.SPACE_L, theme.SPACE_M)
        column.addWidget(self.title)
        column.addWidget(self.account)
        column.addWidget(self.asks)
        column.addLayout(form)
        column.addLayout(buttons)
        column.addStretch(1)
        self.check_button.clicked.connect(self.check)
        self.set_policy(VerificationPolicy())

    def set_policy(self, policy: VerificationPolicy) -> None:
        self._policy = policy
        self.asks.setText(f"Ask for: {policy.describe()}.")
        for factor, field in self.inputs.items():
            field.setEnabled(factor in policy.asks)

    def show_loading(self, account_id: object) -> None:
        """An account is being fetched: say so, and drop answers meant for another one."""
        if self.card is not None and self.card.id != account_id:
            self.card = None
            for field in self.inputs.values():
                field.clear()
            self._clear_errors()
        self._expected = account_id  # answers typed while it loads are meant for it
        self.account.setText("Opening account…")
        self.check_button.setEnabled(False)

    def show_card(self, card: AccountCard) -> None:
        """A new account to check against: clears answers meant for another account."""
        meant_for = self.card.id if self.card is not None else self._expected
        if meant_for != card.id:
            for field in self.inputs.values():
                field.clear()
            self._clear_errors()
        self.card = card
        people = "1 patient" if card.patient_count == 1 else f"{card.patient_count} patients"
        self.account.setText(
            f"Account {card.account_number} · guarantor {card.guarantor_name} · {people}"
        )
        self.check_button.setEnabled(True)

    def answers(self) -> Answers | None:
        """The typed answers; None (with a message by the field) if the date is unreadable."""
        self._clear_errors()
        typed = {factor: field.text().strip() for factor, field in self.inputs.items()}
        dob: date | None = None
        if typed[Factor.DOB]:
            dob = parse_us_date(typed[Factor.DOB], self._today or date.today())
            if dob is None:
                self._error(Factor.DOB, "Not a date: type it as MM/DD/YYYY")
                return None
        return Answers(
            name=typed[Factor.NAME],
            date_of_birth=dob,
            address=typed[Factor.ADDRESS],
            zip=typed[Factor.ZIP],
            phone=typed[Factor.PHONE],
            account=typed[Factor.ACCOUNT],
        )

    def check(self) -> None:
        answers = self.answers()
        if answers is None or self.card is None:
            return
        # Who is calling, and what they are to the patient, are recorded with the call;
        # the name being checked is often the child's, so neither is guessed.
        missing_caller = not self.caller_name.text().strip()
        if missing_caller or self.relationship.currentData() is None:
            self.caller_error.setText(
                "Who is calling?" if missing_caller else "Choose the caller's relationship"
            )
            self.caller_error.show()
            (self.caller_name if missing_caller else self.relationship).setFocus()
            return
        self.result.setText("Checking…")
        self.check_button.setEnabled(False)
        # Qt hands back the enum's text; the call wants the enum itself.
        relationship = CallerRelationship(self.relationship.currentData())
        self.checkRequested.emit(answers, self.caller_name.text().strip(), relationship)

    def show_result(self, result: Verification) -> None:
        """Say what did not match, next to each field; keep everything typed."""
        self.check_button.setEnabled(True)
        self._clear_errors()
        for factor in result.failed:
            self._error(factor, "Does not match the record")
        for factor in result.missing:
            if factor in self._policy.required and not self.inputs[factor].text().strip():
                self._error(factor, "Needed", quiet=True)
        self.result.setText(result.problem() + ". Do not say which answer was wrong.")

    def show_error(self, message: str) -> None:
        self.check_button.setEnabled(True)
        self.result.setText(message)

    def _error(self, factor: Factor, message: str, *, quiet: bool = False) -> None:
        label = self.errors[factor]
        label.setText(message)
        label.show()
        if not quiet:
            self.inputs[factor].setFocus(Qt.FocusReason.OtherFocusReason)

    def _clear_errors(self) -> None:
        self.result.clear()
        self.caller_error.hide()
        for label in self.errors.values():
            label.hide()
            label.clear()
