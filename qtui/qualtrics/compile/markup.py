"""Question text as Qualtrics shows it: HTML escaping, plain descriptions, a little Markdown."""

from __future__ import annotations

import html
import re


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def plain(text: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", " ", text)).strip()


def markdown_html(text: str) -> str:
    """The small part of Markdown that question texts use: headings, paragraphs, line breaks,
    bold and italics."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    out = []
    for paragraph in paragraphs:
        heading = re.fullmatch(r"(#{1,6})\s+(.+)", paragraph.strip())
        if heading:
            level = len(heading.group(1))
            out.append(f"<h{level}>{heading.group(2).strip()}</h{level}>")
            continue
        body = re.sub(r"\*\*(.+?)\*\*", r"<strong>\1</strong>", paragraph)
        body = re.sub(r"(?<![\w*])\*(?!\s)(.+?)(?<!\s)\*(?![\w*])", r"<em>\1</em>", body)
        body = re.sub(r"(?<!\w)_(?!\s)(.+?)(?<!\s)_(?!\w)", r"<em>\1</em>", body)
        out.append("<p>" + "<br>".join(line.strip() for line in body.splitlines()) + "</p>")
    return "".join(out)
