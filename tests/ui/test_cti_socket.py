"""The local phone-system stand-in: the desk's socket, ``send_event`` and ``pa-desk ring``.

A blocking client in the server's own thread would deadlock, so clients run in a Python
thread or a subprocess while the test's event loop serves the socket.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import QDir
from PySide6.QtNetwork import QLocalSocket
from pytestqt.qtbot import QtBot

from app.integrations.cti import CtiConnector, CtiError, CtiEvent, CtiEventKind, decode_reply
from ui import cti_socket
from ui.cli import main
from ui.cti_socket import LocalCtiServer, send_event, server_name

ROOT = Path(__file__).resolve().parents[2]
RING = CtiEvent(CtiEventKind.RING, "+12145550134", call_ref="call-1")


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LocalCtiServer]:
    desk = LocalCtiServer(server_name(tmp_path))
    yield desk
    desk.stop()


def _in_thread(work: Callable[[], Any]) -> list[Any]:
    """Run ``work`` in a Python thread; the list gets its result or its exception."""
    done: list[Any] = []

    def run() -> None:
        try:
            done.append(work())
        except Exception as exc:
            done.append(exc)

    threading.Thread(target=run, daemon=True).start()
    return done


def _raw_exchange(name: str, *chunks: bytes) -> bytes:
    """Write ``chunks`` as a client would (pausing between them); the reply line."""
    client = QLocalSocket()
    client.connectToServer(name)
    assert client.waitForConnected(3000)
    for chunk in chunks:
        client.write(chunk)
        client.flush()
        time.sleep(0.05)
    reply = b""
    deadline = time.monotonic() + 3
    while b"\n" not in reply and time.monotonic() < deadline:
        client.waitForReadyRead(20)  # short waits: the server in this process needs the GIL
        reply += client.readAll().data()
    client.abort()
    return reply


def _ask(qtbot: QtBot, work: Callable[[], Any]) -> Any:
    done = _in_thread(work)
    qtbot.waitUntil(lambda: bool(done), timeout=5000)
    if isinstance(done[0], Exception):
        raise done[0]
    return done[0]


def test_an_event_reaches_the_desk_on_the_gui_thread(qtbot: QtBot, server: LocalCtiServer) -> None:
    seen: list[tuple[CtiEvent, bool]] = []
    server.start(lambda e: seen.append((e, threading.current_thread() is threading.main_thread())))
    assert server.is_listening and isinstance(server, CtiConnector)
    with qtbot.waitSignal(server.eventReceived, timeout=5000) as blocker:
        replies = _in_thread(lambda: send_event(server.name, RING))
    assert blocker.args == [RING]
    assert seen == [(RING, True)]
    qtbot.waitUntil(lambda: bool(replies), timeout=5000)
    assert replies == [{"ok": True}]


def test_lines_may_arrive_in_pieces(qtbot: QtBot, server: LocalCtiServer) -> None:
    server.start(lambda e: None)
    with qtbot.waitSignal(server.eventReceived, timeout=5000) as blocker:
        replies = _in_thread(
            lambda: _raw_exchange(server.name, b'{"kind": "hang', b'up", "call_ref": "c9"}\n')
        )
    assert blocker.args[0].kind is CtiEventKind.HANGUP
    qtbot.waitUntil(lambda: bool(replies), timeout=5000)
    assert decode_reply(replies[0]) == {"ok": True}


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b"hello\n", "not JSON"),
        (b'{"kind": "dial"}\n', "unknown kind"),
        (b'{"kind": "ring", "number": "555"}\n', "E.164"),
        (b"x" * 5000, "longer than 4096"),
    ],
)
def test_a_bad_line_gets_an_error_reply(
    qtbot: QtBot, server: LocalCtiServer, line: bytes, reason: str
) -> None:
    taken: list[CtiEvent] = []
    server.start(taken.append)
    reply = decode_reply(_ask(qtbot, lambda: _raw_exchange(server.name, line)))
    assert reply["ok"] is False and reason in reply["error"]
    assert taken == []
    # The desk still answers the next caller.
    assert _ask(qtbot, lambda: send_event(server.name, RING)) == {"ok": True}
    assert taken == [RING]


def test_a_silent_client_is_dropped(
    qtbot: QtBot, server: LocalCtiServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cti_socket, "CLIENT_TIMEOUT_MS", 100)
    server.start(lambda e: None)
    reply = decode_reply(_ask(qtbot, lambda: _raw_exchange(server.name, b'{"kind": ')))
    assert reply == {"ok": False, "error": "no complete line within 100 ms"}


def test_a_failing_desk_refuses_politely(qtbot: QtBot, server: LocalCtiServer) -> None:
    def broken(event: CtiEvent) -> None:
        raise RuntimeError("boom")

    server.start(broken)
    reply = _ask(qtbot, lambda: send_event(server.name, RING))
    assert reply == {"ok": False, "error": "the desk could not take the event"}


@pytest.mark.skipif(sys.platform == "win32", reason="a crashed desk leaves a file on Unix only")
def test_a_stale_socket_is_reclaimed(qtbot: QtBot, server: LocalCtiServer) -> None:
    path = os.path.join(QDir.tempPath(), server.name)
    crashed = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    crashed.bind(path)  # bound, never listening, closed without unlinking: a crash
    crashed.close()
    assert os.path.exists(path)
    server.start(lambda e: None)
    assert server.is_listening
    assert _ask(qtbot, lambda: send_event(server.name, RING)) == {"ok": True}


def test_a_second_desk_on_the_same_folder_is_refused(qtbot: QtBot, server: LocalCtiServer) -> None:
    server.start(lambda e: None)
    second = LocalCtiServer(server.name)
    with pytest.raises(CtiError, match="Another desk is already running"):
        second.start(lambda e: None)
    assert not second.is_listening
    assert _ask(qtbot, lambda: send_event(server.name, RING)) == {"ok": True}


def test_recording_commands_are_kept_and_announced(qtbot: QtBot, server: LocalCtiServer) -> None:
    with qtbot.waitSignal(server.recordingChanged) as paused:
        server.pause_recording("call-1")
    with qtbot.waitSignal(server.recordingChanged) as resumed:
        server.resume_recording("call-1")
    assert paused.args == ["call-1", False] and resumed.args == ["call-1", True]
    assert [(c.kind, c.call_ref) for c in server.commands] == [
        (CtiEventKind.RECORDING_PAUSED, "call-1"),
        (CtiEventKind.RECORDING_RESUMED, "call-1"),
    ]


def test_send_event_with_no_desk(tmp_path: Path) -> None:
    with pytest.raises(CtiError, match="No desk is running for this data folder"):
        send_event(server_name(tmp_path / "nobody"), RING, timeout_ms=500)


def test_server_names_differ_by_folder_and_fit_a_socket_path(tmp_path: Path) -> None:
    first, second = server_name(tmp_path / "a"), server_name(tmp_path / "b")
    assert first != second and first == server_name(tmp_path / "a" / ".." / "a")
    assert len(first) == len("pa-desk-") + 16


def test_ring_refuses_a_bad_number(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["ring", "555-01"]) == 2
    assert "'555-01' is not a phone number (region US)" in capsys.readouterr().err


def _ring_process(home: Path, *args: str) -> subprocess.Popen[str]:
    """``pa-desk ring`` in a fresh process, which also reports whether it loaded a GUI."""
    script = (
        "import sys; from ui.cli import main; code = main(sys.argv[1:]); "
        "gui = any(m.startswith(('PySide6.QtGui', 'PySide6.QtWidgets')) for m in sys.modules); "
        "print('GUI_LOADED', gui); sys.exit(code)"
    )
    env = dict(os.environ, PA_DESK_HOME=str(home), PYTHONPATH=str(ROOT))
    return subprocess.Popen(
        [sys.executable, "-c", script, "ring", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_ring_with_no_desk_running_exits_1(tmp_path: Path) -> None:
    ring = _ring_process(tmp_path, "214-555-0134")
    out, err = ring.communicate(timeout=60)
    assert ring.returncode == 1
    assert "pa-desk ring: No desk is running for this data folder" in err
    assert "Traceback" not in err and "GUI_LOADED False" in out


def test_ring_reaches_the_desk_of_its_data_folder(qtbot: QtBot, tmp_path: Path) -> None:
    desk = LocalCtiServer(server_name(tmp_path))
    desk.start(lambda e: None)
    try:
        with qtbot.waitSignal(desk.eventReceived, timeout=30_000) as blocker:
            ring = _ring_process(tmp_path, "(214) 555-0134")
        qtbot.waitUntil(lambda: ring.poll() is not None, timeout=30_000)
        out, err = ring.communicate()
    finally:
        desk.stop()
    assert ring.returncode == 0, err
    event = blocker.args[0]
    assert event.kind is CtiEventKind.RING and event.number_e164 == "+12145550134"
    assert "Rang the desk: (214) 555-0134" in out
    assert "GUI_LOADED False" in out
