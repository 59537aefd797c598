"""The desk's look in one place: colours, spacing, fonts and a small stylesheet.

A calm, clinical, high-contrast palette: near-black text on white surfaces, one deep
teal-blue accent, and status colours that are always paired with words (a credit says
"CR", an unverified coverage says "Not verified"), so nothing depends on colour alone.
"""

from __future__ import annotations

from PySide6.QtGui import QColor, QFont, QFontMetrics, QPalette
from PySide6.QtWidgets import QApplication, QStyleFactory, QWidget

from app.domain.money import format_usd

# Colours (hex). Text/background pairs meet WCAG AA (4.5:1) or better.
WINDOW = "#eef1f4"
SURFACE = "#ffffff"
SURFACE_ALT = "#f5f7f9"
HEADER = "#e3e8ed"
BORDER = "#c5ced7"
TEXT = "#17212b"
TEXT_MUTED = "#4d5b69"
ACCENT = "#0b5c8a"
ACCENT_TEXT = "#ffffff"
SELECTION_INACTIVE = "#d5e4ef"
CREDIT = "#1b6b3a"
WARNING = "#8a4600"
ERROR = "#a3262a"
HIGHLIGHT_ROW = "#fff4cc"
WARNING_BG = "#fdebc8"  # banners: offline, locked
WARNING_FG = "#5c2f00"
# The hold timer: calm, then amber at the warning, red at the breach (always with words).
HOLD_CALM_BG = "#e6f0f6"
HOLD_CALM_FG = "#0b3d5c"
HOLD_WARN_BG = "#ffd98a"
HOLD_WARN_FG = "#4a2600"
HOLD_BREACH_BG = "#b3261e"
HOLD_BREACH_FG = "#ffffff"
HOLD_COLOURS = {
    "calm": (HOLD_CALM_BG, HOLD_CALM_FG),
    "warning": (HOLD_WARN_BG, HOLD_WARN_FG),
    "breach": (HOLD_BREACH_BG, HOLD_BREACH_FG),
}

# Spacing in multiples of the font's line height is what scales; these are the steps.
SPACE_XS = 4
SPACE_S = 8
SPACE_M = 12
SPACE_L = 16
CELL_PADDING = 5  # left and right of a table cell's text


def apply(app: QApplication) -> None:
    """Give the application the desk's style, palette and stylesheet."""
    fusion = QStyleFactory.create("Fusion")
    if fusion is not None:
        app.setStyle(fusion)
    app.setPalette(palette())
    app.setStyleSheet(stylesheet())


def palette() -> QPalette:
    p = QPalette()
    roles = {
        QPalette.ColorRole.Window: WINDOW,
        QPalette.ColorRole.WindowText: TEXT,
        QPalette.ColorRole.Base: SURFACE,
        QPalette.ColorRole.AlternateBase: SURFACE_ALT,
        QPalette.ColorRole.Text: TEXT,
        QPalette.ColorRole.Button: SURFACE_ALT,
        QPalette.ColorRole.ButtonText: TEXT,
        QPalette.ColorRole.ToolTipBase: SURFACE,
        QPalette.ColorRole.ToolTipText: TEXT,
        QPalette.ColorRole.PlaceholderText: TEXT_MUTED,
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: ACCENT_TEXT,
        QPalette.ColorRole.Link: ACCENT,
        QPalette.ColorRole.Mid: BORDER,
    }
    for role, colour in roles.items():
        p.setColor(role, QColor(colour))
    # An unfocused table still shows its selection, quietly.
    inactive = QPalette.ColorGroup.Inactive
    p.setColor(inactive, QPalette.ColorRole.Highlight, QColor(SELECTION_INACTIVE))
    p.setColor(inactive, QPalette.ColorRole.HighlightedText, QColor(TEXT))
    for role in (
        QPalette.ColorRole.WindowText,
        QPalette.ColorRole.Text,
        QPalette.ColorRole.ButtonText,
    ):
        p.setColor(QPalette.ColorGroup.Disabled, role, QColor("#8693a0"))
    return p


def stylesheet() -> str:
    """A small stylesheet: only what the palette cannot say. Sizes are in font units."""
    return f"""
QLineEdit#lookupSearch {{
    padding: 5px 8px;
    border: 1px solid {BORDER};
    border-radius: 4px;
    background: {SURFACE};
    selection-background-color: {ACCENT};
}}
QLineEdit#lookupSearch:focus {{ border: 2px solid {ACCENT}; padding: 4px 7px; }}
QTableView {{
    background: {SURFACE};
    alternate-background-color: {SURFACE_ALT};
    border: 1px solid {BORDER};
    gridline-color: {HEADER};
}}
QTableView:focus {{ border: 1px solid {ACCENT}; }}
QTableView::item {{ padding: 0 {CELL_PADDING}px; }}
QHeaderView::section {{
    background: {HEADER};
    color: {TEXT};
    border: none;
    border-right: 1px solid {BORDER};
    border-bottom: 1px solid {BORDER};
    padding: 0.25em 0.5em;
    font-weight: 600;
}}
QFrame#figureCard, QFrame#accountHeader {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
}}
QLabel#muted, QLabel#lookupHint, QLabel#figureCaption, QLabel#fieldName {{ color: {TEXT_MUTED}; }}
QLabel#sectionTitle {{ font-weight: 600; }}
QLabel#emptyState {{
    color: {TEXT_MUTED};
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
    padding: 1em;
}}
QStatusBar {{ background: {HEADER}; color: {TEXT}; }}
QStatusBar QLabel {{ color: {TEXT}; padding: 0 0.6em; }}
QStatusBar::item {{ border: none; border-left: 1px solid {BORDER}; }}
QSplitter::handle {{ background: {WINDOW}; }}
QFrame#callBar {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
}}
QFrame#callBar[active="true"] {{ border: 2px solid {ACCENT}; }}
QLabel#callPhase {{ font-weight: 600; }}
QLabel#verifiedBadge[verified="true"] {{ color: {CREDIT}; font-weight: 600; }}
QLabel#verifiedBadge[verified="false"] {{ color: {WARNING}; font-weight: 600; }}
QLabel#fieldError {{ color: {ERROR}; }}
QLabel#secureBadge {{ color: {HOLD_WARN_FG}; background: {HOLD_WARN_BG}; font-weight: 600;
                      border-radius: 4px; padding: 1px 6px; }}
QFrame#holdTimer {{ border-radius: 6px; }}
QFrame#holdTimer[level="calm"] {{ background: {HOLD_CALM_BG}; }}
QFrame#holdTimer[level="calm"] QLabel {{ color: {HOLD_CALM_FG}; }}
QFrame#holdTimer[level="warning"] {{ background: {HOLD_WARN_BG}; }}
QFrame#holdTimer[level="warning"] QLabel {{ color: {HOLD_WARN_FG}; }}
QFrame#holdTimer[level="breach"] {{ background: {HOLD_BREACH_BG}; }}
QFrame#holdTimer[level="breach"] QLabel {{ color: {HOLD_BREACH_FG}; }}
QFrame#verifyForm {{
    background: {SURFACE};
    border: 1px solid {BORDER};
    border-radius: 6px;
}}
"""


def repolish(widget: QWidget) -> None:
    """Re-apply the stylesheet after a dynamic property the stylesheet reads changed."""
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
    for child in widget.findChildren(QWidget):
        style.unpolish(child)
        style.polish(child)


def scaled_font(base: QFont, factor: float, *, bold: bool = False) -> QFont:
    """``base`` grown by ``factor`` (point sizes scale with the screen, pixels do not)."""
    font = QFont(base)
    if font.pointSizeF() > 0:
        font.setPointSizeF(font.pointSizeF() * factor)
    elif font.pixelSize() > 0:
        font.setPixelSize(round(font.pixelSize() * factor))
    font.setBold(bold)
    return font


def tabular(font: QFont) -> QFont:
    """The same font with tabular (fixed-width) digits, so amounts line up in columns."""
    font = QFont(font)
    font.setFeature(QFont.Tag("tnum"), 1)
    font.setFeature(QFont.Tag("lnum"), 1)
    return font


def line_height(widget: QWidget) -> int:
    return QFontMetrics(widget.font()).height()


def char_width(widget: QWidget, count: int = 1) -> int:
    """Width of ``count`` average characters in the widget's font (for minimum sizes)."""
    return QFontMetrics(widget.font()).averageCharWidth() * count


def money_text(cents: int) -> str:
    """An amount for a table cell: ``$1,234.50``; a credit reads ``$20.00 CR``."""
    if cents < 0:
        return f"{format_usd(-cents)} CR"
    return format_usd(cents)


def money_colour(cents: int) -> QColor | None:
    """Credits are green (and also say CR); amounts owed use the normal text colour."""
    return QColor(CREDIT) if cents < 0 else None
