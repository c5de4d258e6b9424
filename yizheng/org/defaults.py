"""Standard data a new council starts from: the CPPCC sector list and the usual special committees."""

from __future__ import annotations

import json
from pathlib import Path

from django.db import transaction

from .models import Committee, Council, Sector

SECTORS_FILE = Path(__file__).parent / "data" / "sectors.json"

STANDARD_COMMITTEES = [
    Committee.Kind.PROPOSAL,
    Committee.Kind.ECONOMIC,
    Committee.Kind.AGRICULTURE,
    Committee.Kind.ENVIRONMENT,
    Committee.Kind.EDUCATION,
    Committee.Kind.SOCIAL,
    Committee.Kind.ETHNIC_RELIGIOUS,
    Committee.Kind.OVERSEAS,
    Committee.Kind.CULTURE_HISTORY,
    Committee.Kind.LIAISON,
]


def standard_sectors() -> list[tuple[str, str]]:
    return [tuple(row) for row in json.loads(SECTORS_FILE.read_text(encoding="utf-8"))["sectors"]]


@transaction.atomic
def council_seed_defaults(council: Council) -> None:
    """Give a council the standard sectors and committees it does not have yet. Safe to run twice."""
    for order, (name, kind) in enumerate(standard_sectors(), start=1):
        Sector.objects.get_or_create(council=council, name=name, defaults={"kind": kind, "order": order})
    for order, kind in enumerate(STANDARD_COMMITTEES, start=1):
        Committee.objects.get_or_create(
            council=council, name=str(Committee.Kind(kind).label), defaults={"kind": kind, "order": order}
        )
