"""Whether an answer rests on content past its review date, and what to say then.

Every record carries a `review_date` (and, through the documents it cites, the
document's own `review_by`). When an answer shown to a practitioner rests on a
record whose review date has passed, the reply adds one line naming the date
and the partnership whose website holds the current version. The line's wording
is the `utter_review_due` response; this module finds the facts for it.
"""
from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.knowledge.models import Area, Document, Source


class Reviewed(Protocol):
    """Anything with sources and a review date: guidance items, guides, routes."""

    @property
    def sources(self) -> tuple[Source, ...]: ...

    @property
    def review_date(self) -> date: ...


@dataclass(frozen=True)
class ReviewDue:
    """The facts of the "past its review date" line."""

    review_date: date
    document: str  # the short title of the document the record rests on
    partnership: str
    url: str | None

    def slots(self) -> dict[str, str]:
        """The values that fill `utter_review_due`."""
        return {
            "review_month": self.review_date.strftime("%B %Y"),
            "review_document": self.document,
            "partnership": self.partnership,
            "partnership_site": self.url or "the partnership's website",
        }


def review_due(
    records: Iterable[Reviewed],
    today: date,
    documents: Mapping[str, Document],
    areas: Mapping[str, Area],
    area_id: str | None = None,
) -> ReviewDue | None:
    """The earliest passed review date among `records`, or None when all are current.

    The partnership is the area of the document the record cites (the one whose own
    review date has passed, if any), else the record's area, else `area_id`.
    """
    due = sorted((r for r in records if r.review_date < today), key=lambda r: r.review_date)
    if not due:
        return None
    record = due[0]
    cited = [documents[s.doc] for s in record.sources if s.doc is not None and s.doc in documents]
    cited.sort(key=lambda d: d.review_by is None or d.review_by >= today)
    for candidate in (*(d.area for d in cited), getattr(record, "area", None), area_id):
        area = areas.get(candidate) if isinstance(candidate, str) else None
        if area is not None:
            title = cited[0].short_title if cited else area.partnership.name
            return ReviewDue(record.review_date, title, area.partnership.name, area.partnership.url)
    return None
