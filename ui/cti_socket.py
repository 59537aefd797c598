"""The local stand-in for a phone system: call events over a QLocalServer.

``pa-desk ring NUMBER`` (or any program) connects to the running desk's local socket,
writes one event line (``app.integrations.cti.encode``), reads one reply line and is
disconnected. The socket is per OS user and per data folder, and only its user may
connect. There is no real recorder behind it: recording commands are kept in
``commands`` and announced by ``recordingChanged``.
"""

from __future__ import annotations

import getpass
import hashlib
import logging
import time
from collections.abc import Callable
from functools import partial
from pathlib import Path
from typing import Any

from PySide6.QtCore import QCoreApplication, QObject, QTimer, Signal
from PySide6.QtNetwork import QLocalServer, QLocalSocket

from app.integrations.cti import (
    MAX_LINE_BYTES,
    CtiError,
    CtiEvent,
    CtiEventKind,
    decode,
    decode_reply,
    encode,
    encode_reply,
)

log = logging.getLogger(__name__)

CLIENT_TIMEOUT_MS = 5000  # a client that sends no complete line by then is dropped
PROBE_TIMEOUT_MS = 500  # how long "is another desk listening?" waits
WAIT_SLICE_MS = 20

_core_app: QCoreApplication | None = None  # the CLI's own, kept alive once made


def server_name(data_dir: Path) -> str:
    """The socket name for one OS user's desk on one data folder (short enough for a
    Unix socket path in the temp folder)."""
    key = f"{getpass.getuser()}|{data_dir.expanduser().resolve()}"
    return "pa-desk-" + hashlib.sha256(key.encode()).hexdigest()[:16]


class LocalCtiServer(QObject):
    """A :class:`~app.integrations.cti.CtiConnector` listening on a local socket."""

    eventReceived = Signal(object)  # CtiEvent, after on_event took it
    recordingChanged = Signal(str, bool)  # call_ref, recording

    def __init__(self, name: str, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._name = name
        self._server = QLocalServer(self)
        self._server.setSocketOptions(QLocalServer.SocketOption.UserAccessOption)
        self._server.newConnection.connect(self._accept)
        self._on_event: Callable[[CtiEvent], None] | None = None
        self._pending: dict[QLocalSocket, bytearray] = {}
        self.commands: list[CtiEvent] = []  # recording pauses/resumes asked for, in order

    @property
    def name(self) -> str:
        return self._name

    @property
    def is_listening(self) -> bool:
        return self._server.isListening()

    def start(self, on_event: Callable[[CtiEvent], None]) -> None:
        """Listen; CtiError if another desk already listens on this name or the socket
        cannot be made. A socket file left by a crashed desk is removed first."""
        if self._server.isListening():
            self._on_event = on_event
            return
        if _answers(self._name):
            raise CtiError(
                "Another desk is already running for this data folder; phone events go to that one"
            )
        # Nothing answers: whatever is on the name is stale (a crashed desk's socket).
        QLocalServer.removeServer(self._name)
        if not self._server.listen(self._name):
            raise CtiError(f"Cannot listen for phone events: {self._server.errorString()}")
        self._on_event = on_event

    def stop(self) -> None:
        self._server.close()
        for socket in list(self._pending):
            self._forget(socket)
            socket.abort()
        self._on_event = None

    def pause_recording(self, call_ref: str) -> None:
        self.commands.append(CtiEvent(CtiEventKind.RECORDING_PAUSED, call_ref=call_ref))
        self.recordingChanged.emit(call_ref, False)

    def resume_recording(self, call_ref: str) -> None:
        self.commands.append(CtiEvent(CtiEventKind.RECORDING_RESUMED, call_ref=call_ref))
        self.recordingChanged.emit(call_ref, True)

    def _accept(self) -> None:
        while self._server.hasPendingConnections():
            socket = self._server.nextPendingConnection()
            self._pending[socket] = bytearray()
            socket.readyRead.connect(partial(self._read, socket))
            socket.disconnected.connect(partial(self._forget, socket))
            QTimer.singleShot(CLIENT_TIMEOUT_MS, socket, partial(self._expire, socket))
            if socket.bytesAvailable():
                self._read(socket)

    def _read(self, socket: QLocalSocket) -> None:
        buffer = self._pending.get(socket)
        if buffer is None:  # already answered; anything more is ignored
            socket.readAll()
            return
        buffer += socket.readAll().data()
        end = buffer.find(b"\n")
        if end < 0:
            if len(buffer) > MAX_LINE_BYTES:
                self._answer(socket, f"line longer than {MAX_LINE_BYTES} bytes")
            return
        self._answer(socket, self._take(bytes(buffer[:end])))

    def _take(self, line: bytes) -> str | None:
        """Hand one line's event to the desk; the error text for the reply, if any."""
        try:
            event = decode(line)
        except ValueError as exc:
            return str(exc)
        if self._on_event is None:
            return "the desk is not taking calls"
        try:
            self._on_event(event)
        except CtiError as exc:  # the desk refused it, and says why
            return str(exc)
        except Exception:
            log.exception("the desk failed to take a %s event", event.kind.value)
            return "the desk could not take the event"
        self.eventReceived.emit(event)
        return None

    def _answer(self, socket: QLocalSocket, error: str | None) -> None:
        self._pending.pop(socket, None)
        socket.write(encode_reply(error))
        socket.disconnectFromServer()  # after the reply is written

    def _expire(self, socket: QLocalSocket) -> None:
        if socket in self._pending:
            self._answer(socket, f"no complete line within {CLIENT_TIMEOUT_MS} ms")

    def _forget(self, socket: QLocalSocket) -> None:
        self._pending.pop(socket, None)
        socket.deleteLater()


def send_event(name: str, event: CtiEvent, timeout_ms: int = 3000) -> dict[str, Any]:
    """Deliver one event to the desk listening on ``name`` and return its decoded reply
    (``ok``, and ``error`` when refused). Blocking: call it from a CLI or a worker
    thread, never from the thread the server runs in. CtiError when no desk listens or
    it does not answer in time."""
    _ensure_core_app()
    deadline = time.monotonic() + timeout_ms / 1000
    socket = QLocalSocket()
    try:
        socket.connectToServer(name)
        if not socket.waitForConnected(timeout_ms):
            if socket.error() == QLocalSocket.LocalSocketError.SocketTimeoutError:
                raise CtiError("The desk did not accept the connection in time")
            raise CtiError("No desk is running for this data folder (start it with pa-desk)")
        socket.write(encode(event))
        while socket.bytesToWrite() > 0:
            if not socket.waitForBytesWritten(_slice_ms(deadline)) and _past(deadline):
                raise CtiError("The desk did not take the event in time")
        return decode_reply(_reply_line(socket, deadline))
    except ValueError as exc:
        raise CtiError(f"The desk's answer was not understood: {exc}") from None
    finally:
        socket.abort()


def _reply_line(socket: QLocalSocket, deadline: float) -> bytes:
    reply = bytearray()
    while True:
        reply += socket.readAll().data()
        end = reply.find(b"\n")
        if end >= 0:
            return bytes(reply[:end])
        if len(reply) > MAX_LINE_BYTES:
            raise CtiError("The desk's answer was too long")
        if socket.state() != QLocalSocket.LocalSocketState.ConnectedState:
            raise CtiError("The desk closed the connection without answering")
        if not socket.waitForReadyRead(_slice_ms(deadline)) and _past(deadline):
            raise CtiError("The desk did not answer in time")


def _slice_ms(deadline: float) -> int:
    """Wait in short slices: PySide6 keeps the GIL during a blocking wait, and a server
    in this process needs it to answer."""
    return max(1, min(WAIT_SLICE_MS, int((deadline - time.monotonic()) * 1000)))


def _past(deadline: float) -> bool:
    return time.monotonic() >= deadline


def _answers(name: str) -> bool:
    """Whether a live server accepts connections on ``name`` (a crashed desk's socket
    refuses them)."""
    _ensure_core_app()
    probe = QLocalSocket()
    probe.connectToServer(name)
    try:
        return probe.waitForConnected(PROBE_TIMEOUT_MS)
    finally:
        probe.abort()


def _ensure_core_app() -> None:
    """Qt needs an application object; a CLI process gets a bare QCoreApplication."""
    global _core_app
    if QCoreApplication.instance() is None:
        _core_app = QCoreApplication([])
