"""A small, tolerant X12 segment reader.

The delimiters come from the fixed-width ISA segment: the element separator is its 4th
character, the component separator ISA16, the segment terminator the character after
it (``~``, or a newline in some files). Line breaks between segments are ignored.
Some senders use a component separator other than ISA16 inside composites (``>`` while
ISA16 says ``:``); :meth:`Segment.components` accepts either.

Errors name the segment and its position (1-based segment number and character offset),
never the file's contents beyond the segment tag: these files carry PHI.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

_ISA_LENGTH = 106
_COMMON_COMPONENT_SEPARATORS = (":", ">", "^", "<", "\\")


class X12Error(ValueError):
    """A file the reader cannot make sense of; says where, not what (no PHI)."""

    def __init__(self, message: str, *, segment: str = "", position: int = 0, offset: int = 0):
        where = f" at segment {position} ({segment or '?'}), character {offset}" if position else ""
        super().__init__(f"{message}{where}")
        self.segment = segment
        self.position = position
        self.offset = offset


@dataclass(frozen=True)
class Delimiters:
    element: str
    component: str
    segment: str
    repetition: str | None = None


@dataclass(frozen=True)
class Segment:
    tag: str
    elements: tuple[str, ...]  # elements[0] is the first after the tag (X12's "01")
    position: int  # 1-based segment number in the file
    offset: int  # character offset of the segment's start
    delimiters: Delimiters

    def get(self, number: int, default: str = "") -> str:
        """Element ``number`` as X12 counts (CLP01 is ``get(1)``), or ``default``."""
        if 1 <= number <= len(self.elements):
            return self.elements[number - 1]
        return default

    def components(self, number: int) -> tuple[str, ...]:
        """A composite element split into its parts, tolerating a separator that
        disagrees with ISA16."""
        value = self.get(number)
        if self.delimiters.component in value:
            return tuple(value.split(self.delimiters.component))
        for other in _COMMON_COMPONENT_SEPARATORS:
            if other != self.delimiters.element and other in value:
                return tuple(value.split(other))
        return (value,)

    def error(self, message: str) -> X12Error:
        return X12Error(message, segment=self.tag, position=self.position, offset=self.offset)


def delimiters_of(text: str) -> Delimiters:
    start = text.find("ISA")
    if start < 0 or len(text) - start < _ISA_LENGTH - 1:
        raise X12Error("not an X12 file: no ISA segment at the start", segment="ISA", position=1)
    isa = text[start : start + _ISA_LENGTH]
    element = isa[3]
    fields = isa.split(element)
    if len(fields) < 17:
        raise X12Error("the ISA segment is malformed", segment="ISA", position=1, offset=start)
    component = fields[16][:1]
    after = start + len(element.join(fields[:16])) + len(element) + 1
    terminator = text[after] if after < len(text) else "~"
    if terminator == "\r" and text[after + 1 : after + 2] == "\n":
        terminator = "\n"
    repetition = fields[11] if fields[12].startswith("005") and len(fields[11]) == 1 else None
    return Delimiters(element, component, terminator, repetition)


def read_segments(text: str) -> Iterator[Segment]:
    """Every segment of ``text`` in order."""
    if text.startswith("\ufeff"):
        text = text[1:]
    text = text.lstrip()
    delimiters = delimiters_of(text)
    position = 0
    offset = 0
    for raw in text.split(delimiters.segment):
        start = offset
        offset += len(raw) + 1
        body = raw.strip("\r\n\t ")
        if not body:
            continue
        position += 1
        parts = body.split(delimiters.element)
        tag = parts[0].strip().upper()
        if not tag.isalnum() or len(tag) > 3:
            raise X12Error("a segment has no valid tag", segment=tag[:3], position=position,
                           offset=start)  # fmt: skip
        yield Segment(tag, tuple(parts[1:]), position, start, delimiters)
