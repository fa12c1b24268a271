"""Instructions in Markdown, rendered safely: CommonMark through markdown-it-py with raw HTML off, so
any HTML an instructor types is shown as text, and links to javascript:/data: are refused by its
link validator. Registered on the templates as the `markdown` filter."""

from __future__ import annotations

from functools import lru_cache

from markupsafe import Markup

from .render import templates


@lru_cache
def _parser():
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False, "linkify": False, "typographer": False})


def markdown(text: str | None) -> Markup:
    return Markup(_parser().render(text or ""))


templates.env.filters["markdown"] = markdown
