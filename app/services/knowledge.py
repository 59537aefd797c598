"""Call scripts and help articles: Markdown files in ``resources/scripts``, searchable.

Each file is one article: ``# Title`` on the first line, ``Tags: a, b, c`` on the second,
then a blank line and the Markdown body. Lines the agent says aloud are blockquoted
(``> ...``); everything else is a note for the agent. Placeholders such as ``{agent}``
and ``{practice}`` are filled at display time by :func:`fill`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from app.domain.names import name_key

SCRIPTS_PATH = Path(__file__).resolve().parent.parent.parent / "resources" / "scripts"

# The scripts in the order a call uses them; every other article follows, by title.
CALL_FLOW = (
    "greeting",
    "verification",
    "hold",
    "check-in",
    "resume",
    "payment-authorization",
    "dispute",
    "transfer",
    "escalation",
    "closing",
)

_PLACEHOLDER = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
_WORD = re.compile(r"[^\W_]+")
_TAGS_PREFIX = "tags:"
# Search weights: a word found in the title counts more than in the tags, then the body.
_TITLE, _TAGS, _BODY = 100, 10, 1


@dataclass(frozen=True)
class Article:
    """One script or help article."""

    slug: str
    title: str
    tags: tuple[str, ...]
    body: str  # Markdown, without the title and tags lines

    @property
    def spoken(self) -> str:
        """The words to say: the blockquoted lines without their ``>`` marks.

        Lines of one quote are joined by spaces (as Markdown wraps them); an empty quote
        line or separate quotes become a paragraph break. ``""`` when nothing is quoted.
        """
        paragraphs: list[str] = []
        current: list[str] = []
        for line in self.body.splitlines():
            stripped = line.strip()
            if stripped.startswith(">"):
                text = stripped[1:].strip()
                if text:
                    current.append(text)
                    continue
            if current:
                paragraphs.append(" ".join(current))
                current = []
        if current:
            paragraphs.append(" ".join(current))
        return "\n\n".join(paragraphs)


@dataclass(frozen=True)
class _Index:
    """An article's search words, folded like names are (case and accents removed)."""

    title: tuple[str, ...]
    tags: tuple[str, ...]
    body: tuple[str, ...]


def _words(text: str) -> tuple[str, ...]:
    keys = (name_key(word) for word in _WORD.findall(text))
    return tuple(key for key in keys if key)


def _index(article: Article) -> _Index:
    return _Index(
        title=_words(article.title),
        tags=_words(" ".join(article.tags)),
        body=_words(article.body),
    )


def _weight(word: str, index: _Index) -> int:
    """How well one query word matches (0: not at all); it may be a word's beginning."""
    for weight, words in ((_TITLE, index.title), (_TAGS, index.tags), (_BODY, index.body)):
        if any(candidate.startswith(word) for candidate in words):
            return weight
    return 0


class Knowledge:
    """The articles in call order, and a search over them."""

    def __init__(self, articles: tuple[Article, ...]) -> None:
        self.articles = articles
        self._by_slug = {article.slug: article for article in articles}
        self._indexes = tuple(_index(article) for article in articles)

    @classmethod
    def load(cls, folder: Path | None = None) -> Knowledge:
        """Read every ``*.md`` file of ``folder`` (default: the desk's own scripts).

        Loaded once per folder. Raises ``FileNotFoundError`` for a missing folder and
        ``ValueError`` naming the file for one that has no ``# Title`` line.
        """
        return _load((folder or SCRIPTS_PATH).resolve())

    def get(self, slug: str) -> Article:
        try:
            return self._by_slug[slug]
        except KeyError:
            raise KeyError(f"no article {slug!r}") from None

    def search(self, text: str, limit: int = 20) -> list[Article]:
        """Articles where every typed word begins a word of the article, best first.

        Case and accents do not matter. A title match ranks above a tag match, which
        ranks above a body match; ties keep the call order. Empty text: every article.
        """
        query = _words(text)
        if not query:
            return list(self.articles[:limit])
        scored: list[tuple[int, int, Article]] = []
        for position, (article, index) in enumerate(zip(self.articles, self._indexes, strict=True)):
            weights = [_weight(word, index) for word in query]
            if all(weights):
                scored.append((-sum(weights), position, article))
        scored.sort(key=lambda item: (item[0], item[1]))
        return [article for _, _, article in scored[:limit]]


def fill(text: str, **values: str) -> str:
    """``text`` with each ``{name}`` that has a non-empty value replaced by it.

    Placeholders without a value (unknown, missing or empty) stay exactly as written, so
    the agent still sees ``{caller}`` where a name belongs; other braces are untouched.
    """

    def replace(match: re.Match[str]) -> str:
        value = values.get(match.group(1))
        return value if value else match.group(0)

    return _PLACEHOLDER.sub(replace, text)


def parse_article(path: Path) -> Article:
    """One article from its file; the slug is the file name without ``.md``."""
    lines = path.read_text(encoding="utf-8").splitlines()
    first = lines[0].strip() if lines else ""
    if not first.startswith("# ") or not first[2:].strip():
        raise ValueError(f"{path.name}: the first line must be the title, '# Title'")
    title = first[2:].strip()
    rest = lines[1:]
    tags: tuple[str, ...] = ()
    if rest and rest[0].strip().casefold().startswith(_TAGS_PREFIX):
        raw = rest[0].strip()[len(_TAGS_PREFIX) :]
        tags = tuple(tag.strip() for tag in raw.split(",") if tag.strip())
        rest = rest[1:]
    body = "\n".join(rest).strip("\n")
    return Article(slug=path.stem, title=title, tags=tags, body=body + "\n" if body else "")


def _order(article: Article) -> tuple[int, str, str]:
    if article.slug in CALL_FLOW:
        return (CALL_FLOW.index(article.slug), "", "")
    return (len(CALL_FLOW), article.title.casefold(), article.slug)


@lru_cache(maxsize=8)
def _load(folder: Path) -> Knowledge:
    if not folder.is_dir():
        raise FileNotFoundError(f"no scripts folder at {folder}")
    articles = [parse_article(path) for path in sorted(folder.glob("*.md"))]
    return Knowledge(tuple(sorted(articles, key=_order)))
