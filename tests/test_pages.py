"""A listing read page by page (DNS records, an account's zones): every count it follows is
checked before use, as the apps' listing checks its own."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.errors import MalformedAnswerError
from reconciler.live.cloudflare.pages import read_all


class OnePage:
    """A transport stand-in that answers every GET with the same page."""

    def __init__(self, info: Any) -> None:
        self.info = info

    def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        return {"success": True, "result": [{"id": "r1"}], "result_info": self.info}


@pytest.mark.parametrize(
    "info",
    [
        {"page": 1, "total_pages": "x"},
        {"page": 1, "total_pages": 1, "total_count": "abc"},
        {"page": 1, "total_pages": -1},
        "not an object",
    ],
    ids=["total_pages", "total_count", "negative", "info"],
)
def test_a_misshapen_count_is_a_located_api_error(info: Any) -> None:
    with pytest.raises(MalformedAnswerError, match="unexpected shape"):
        read_all(OnePage(info), "/zones/z/dns_records", 100)  # type: ignore[arg-type]


def test_a_well_formed_listing_is_read_whole() -> None:
    page = OnePage({"page": 1, "per_page": 100, "total_pages": 1, "total_count": 1})
    assert read_all(page, "/zones/z/dns_records", 100) == [{"id": "r1"}]  # type: ignore[arg-type]
