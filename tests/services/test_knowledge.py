"""Call scripts and help articles: the desk's own files, search, and placeholder filling."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.services.knowledge import CALL_FLOW, Article, Knowledge, fill

REQUIRED = (
    *CALL_FLOW,
    "healow-pay",
    "declined-card",
    "statements",
)


@pytest.fixture(scope="module")
def knowledge() -> Knowledge:
    return Knowledge.load()


def _write(folder: Path, slug: str, text: str) -> None:
    (folder / f"{slug}.md").write_text(text, encoding="utf-8")


def test_every_required_article_is_there_with_a_title_and_tags(knowledge: Knowledge) -> None:
    for slug in REQUIRED:
        article = knowledge.get(slug)
        assert article.title, slug
        assert article.tags, slug
        assert article.body.strip(), slug
        assert not article.body.startswith("Tags:"), slug


def test_the_greeting_names_the_agent_and_the_practice(knowledge: Knowledge) -> None:
    spoken = knowledge.get("greeting").spoken
    assert "{agent}" in spoken
    assert "{practice}" in spoken
    filled = fill(spoken, agent="Sam Ortiz", practice="Bright Kids Pediatrics")
    assert "This is Sam Ortiz" in filled
    assert "Bright Kids Pediatrics" in filled
    assert "{" not in filled


def test_every_call_script_has_words_to_say(knowledge: Knowledge) -> None:
    for slug in CALL_FLOW:
        spoken = knowledge.get(slug).spoken
        assert spoken, slug
        assert not any(line.startswith(">") for line in spoken.splitlines()), slug


def test_payment_authorization_covers_the_card_and_the_bank(knowledge: Knowledge) -> None:
    spoken = knowledge.get("payment-authorization").spoken
    for placeholder in ("{amount}", "{last4}", "{date}"):
        assert placeholder in spoken
    assert "permission" in spoken
    assert "authoriz" in spoken
    assert "cancel" in spoken  # a phone authorization says how to revoke it


def test_articles_come_in_call_order_then_help_by_title(knowledge: Knowledge) -> None:
    slugs = [article.slug for article in knowledge.articles]
    assert slugs[: len(CALL_FLOW)] == list(CALL_FLOW)
    help_titles = [article.title.casefold() for article in knowledge.articles[len(CALL_FLOW) :]]
    assert help_titles == sorted(help_titles)
    assert Knowledge.load() is knowledge  # read once per folder


def test_unknown_slug_is_named() -> None:
    with pytest.raises(KeyError, match="no-such-script"):
        Knowledge.load().get("no-such-script")


def test_spoken_joins_quoted_lines_and_separates_quotes() -> None:
    body = "Note first.\n\n> Hello\n> there.\n>\n> Second paragraph.\n\nA note.\n\n> Bye.\n"
    article = Article(slug="x", title="X", tags=(), body=body)
    assert article.spoken == "Hello there.\n\nSecond paragraph.\n\nBye."
    assert Article(slug="y", title="Y", tags=(), body="Only notes.\n").spoken == ""


def _fake(tmp_path: Path) -> Knowledge:
    _write(tmp_path, "greeting", "# Greeting\nTags: hello, opening\n\n> Hello.\n")
    _write(tmp_path, "cards", "# Declined card\nTags: payment\n\nThe bank said no.\n")
    _write(tmp_path, "payments", "# Taking a payment\nTags: card, café\n\n> Thank you.\n")
    _write(
        tmp_path,
        "notes",
        "# Statements\nTags: bill\n\nA card payment after the statement date. Señora Núñez.\n",
    )
    return Knowledge.load(tmp_path)


def test_search_ranks_title_above_tags_above_body(tmp_path: Path) -> None:
    knowledge = _fake(tmp_path)
    assert [a.slug for a in knowledge.search("card")] == ["cards", "payments", "notes"]
    assert [a.slug for a in knowledge.search("card", limit=2)] == ["cards", "payments"]


def test_search_ignores_case_and_accents_and_matches_word_beginnings(tmp_path: Path) -> None:
    knowledge = _fake(tmp_path)
    assert [a.slug for a in knowledge.search("CAFE")] == ["payments"]
    assert [a.slug for a in knowledge.search("nunez")] == ["notes"]
    assert [a.slug for a in knowledge.search("Núñez señora")] == ["notes"]
    assert [a.slug for a in knowledge.search("stat")] == ["notes"]
    assert knowledge.search("tatement") == []  # words match from their beginning


def test_search_needs_every_word(tmp_path: Path) -> None:
    knowledge = _fake(tmp_path)
    assert [a.slug for a in knowledge.search("card bank")] == ["cards"]
    assert knowledge.search("card unicorn") == []


def test_empty_search_lists_everything_in_order(tmp_path: Path) -> None:
    knowledge = _fake(tmp_path)
    assert knowledge.search("  ") == list(knowledge.articles)
    assert knowledge.articles[0].slug == "greeting"


def test_real_search_finds_the_obvious_article(knowledge: Knowledge) -> None:
    assert knowledge.search("healow")[0].slug == "healow-pay"
    assert knowledge.search("declined")[0].slug == "declined-card"
    assert knowledge.search("HOLD")[0].slug == "hold"
    assert knowledge.search("ach")[0].slug == "payment-authorization"
    assert "verification" in [a.slug for a in knowledge.search("parent")]


def test_fill_leaves_unknown_and_missing_placeholders() -> None:
    text = "Hi {caller}, this is {agent} at {practice}; {unknown} {{x}} {not a name} {}"
    filled = fill(text, agent="Sam", caller="", extra="ignored")
    assert filled == "Hi {caller}, this is Sam at {practice}; {unknown} {{x}} {not a name} {}"
    assert fill("{agent}{agent}", agent="A") == "AA"
    assert fill("{agent}", agent="{practice}", practice="P") == "{practice}"  # one pass


def test_a_file_without_a_title_is_named_in_the_error(tmp_path: Path) -> None:
    _write(tmp_path, "broken", "Tags: oops\n\nNo title here.\n")
    with pytest.raises(ValueError, match=r"broken\.md"):
        Knowledge.load(tmp_path)


def test_an_empty_file_is_malformed_too(tmp_path: Path) -> None:
    _write(tmp_path, "empty", "")
    with pytest.raises(ValueError, match=r"empty\.md"):
        Knowledge.load(tmp_path)


def test_tags_line_is_optional(tmp_path: Path) -> None:
    _write(tmp_path, "plain", "# Plain\n\nBody.\n")
    article = Knowledge.load(tmp_path).get("plain")
    assert article.tags == ()
    assert article.body == "Body.\n"


def test_a_missing_folder_is_reported(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        Knowledge.load(tmp_path / "nowhere")
