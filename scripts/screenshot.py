"""Save a picture of the desk as an agent sees it: a search typed, an account open.

    .venv/bin/python scripts/screenshot.py --db sqlite:///demo.sqlite3 --out docs/screenshot.png

Runs offscreen (no screen needed) on a demo database (made on first use, 2,000
patients), in a 1366x768 window, or whatever ``--size`` says. Demo data only: the
picture must never show a real patient.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtCore import QEventLoop, QSettings, QTimer
from PySide6.QtWidgets import QApplication

from app.services.desk import open_desk
from ui import theme
from ui.main_window import MainWindow


def _wait_for(signal: object, timeout_ms: int = 10_000) -> None:
    loop = QEventLoop()
    signal.connect(loop.quit)  # type: ignore[attr-defined]
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", required=True, help="a demo database URL (made if empty)")
    parser.add_argument("--central", default=None, help="central URL (default: none, local only)")
    parser.add_argument("--out", type=Path, default=Path("docs/screenshot.png"))
    parser.add_argument("--search", default="garcia", help="what the agent types")
    parser.add_argument("--row", type=int, default=0, help="which result to open")
    parser.add_argument("--size", default="1366x768", help="window size WIDTHxHEIGHT")
    args = parser.parse_args()
    width, height = (int(part) for part in args.size.lower().split("x"))

    app = QApplication(sys.argv[:1])
    theme.apply(app)
    desk = open_desk(args.db, demo_patients=2000, central_url=args.central)
    with tempfile.TemporaryDirectory() as folder:
        settings = QSettings(str(Path(folder) / "shot.ini"), QSettings.Format.IniFormat)
        window = MainWindow(settings)
        window.resize(width, height)
        window.show()
        window.set_desk(desk)
        if window.sync is not None:
            _wait_for(window.sync.statusChanged)
        panel = window.lookup
        panel.search.setText(args.search)
        _wait_for(panel.searchFinished)
        if panel.model.rowCount() > args.row:
            panel.table.selectRow(args.row)
            panel.resultActivated.emit(panel.model.result_at(args.row))
            _wait_for(window.account.accountShown)
        settle = QEventLoop()  # let late status updates lay themselves out
        QTimer.singleShot(300, settle.quit)
        settle.exec()
        args.out.parent.mkdir(parents=True, exist_ok=True)
        if not window.grab().save(str(args.out)):
            print(f"could not write {args.out}", file=sys.stderr)
            return 1
        window.close()
    desk.close()
    print(f"saved {args.out} ({width}x{height})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
