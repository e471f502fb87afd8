"""Writing a benchmark's results: the numbers as JSON, the table as Markdown, both beside each other."""

from __future__ import annotations

import json
import os
from typing import Any


def write_report(stem: str | os.PathLike, report: Any, lines: list[str], echo: bool = True) -> None:
    """Write ``report`` to ``<stem>.json`` and the Markdown ``lines`` to ``<stem>.md`` (and print them).

    :param stem: output path without extension.
    :param report: JSON-serialisable results.
    :param lines: the Markdown report, one line per entry.
    :param echo: also print the Markdown.
    """
    stem = os.fspath(stem)
    with open(stem + ".json", "w", encoding="utf-8") as fh:
        json.dump(report, fh, indent=2)
    text = "\n".join(lines)
    with open(stem + ".md", "w", encoding="utf-8") as fh:
        fh.write(text + "\n")
    if echo:
        print(text)
