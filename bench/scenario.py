"""Shared set-up for the benchmarks: desired state as real YAML files, a populated emulator.

In: a number of zones and apps. Out: a directory of zone files that ``workflow.load`` reads, an
emulator state file holding the same apps (created once through the emulator's own POST
handler, so every server-filled field is real), fresh emulators loaded from it, clients wired to
them, and ``Figure`` — the median and min-max of several runs.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import shutil
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.live.cloudflare import PAGE_SIZE, CloudflareClient, RetryPolicy
from reconciler.live.connect import SANDBOX_BASE_URL
from reconciler.live.ratelimit import CLOUDFLARE_DEFAULT, RateLimit

UNLIMITED = (10**9, 1.0)
DRIFT_EVERY = 10  # every tenth app differs between git and live, so plans are not empty


@dataclass(frozen=True)
class Figure:
    """The median of several runs with their spread."""

    median: float
    low: float
    high: float
    runs: int

    @classmethod
    def of(cls, values: Sequence[float]) -> Figure:
        return cls(statistics.median(values), min(values), max(values), len(values))


def zone_name(index: int) -> str:
    return f"zone{index:03}.example.com"


def app_config(zone: str, index: int, *, drifted: bool = False) -> dict[str, Any]:
    """One API-shaped app; ``drifted`` is the git side of every tenth app (tls changed)."""
    config: dict[str, Any] = {
        "dns": {"type": "CNAME", "name": f"app{index:05}.{zone}"},
        "protocol": f"tcp/{1000 + index}",
        "origin_direct": [f"tcp://192.0.2.{index % 250 + 1}:{1000 + index}"],
        "edge_ips": {"type": "dynamic", "connectivity": "all"},
    }
    if drifted:
        config["tls"] = "full"
    return config


def spread(apps: int, zones: int) -> list[int]:
    """How many apps each zone holds: as even as possible."""
    base, extra = divmod(apps, zones)
    return [base + (1 if z < extra else 0) for z in range(zones)]


def minimum_requests(apps: int, zones: int) -> int:
    """One zone lookup per zone plus ⌈apps/100⌉ pages per zone (at least one page)."""
    return sum(1 + max(1, math.ceil(n / PAGE_SIZE)) for n in spread(apps, zones))


def critical_path_requests(apps: int, zones: int) -> int:
    """Requests one after another on the slowest zone: its lookup plus its pages."""
    return max(1 + max(1, math.ceil(n / PAGE_SIZE)) for n in spread(apps, zones))


def write_desired(directory: Path, apps: int, zones: int) -> Path:
    """One YAML file per zone under ``directory``; every tenth app drifted from live."""
    directory.mkdir(parents=True, exist_ok=True)
    for z, count in enumerate(spread(apps, zones)):
        name = zone_name(z)
        configs = [app_config(name, i, drifted=i % DRIFT_EVERY == 0) for i in range(count)]
        # JSON is YAML: the loader reads it like any hand-written file.
        text = json.dumps({"zone": name, "apps": configs}, indent=1)
        (directory / f"{name}.yaml").write_text(text + "\n", encoding="utf-8")
    return directory


def write_live_state(path: Path, apps: int, zones: int) -> Path:
    """An emulator state file whose zones hold the apps (no drift).

    The largest zone's apps are created through the emulator's POST handler, so every
    server-filled field is real; the other zones get copies of them under their own names and
    fresh ids. (Creating every app by POST costs O(apps) per create — the emulator checks each
    new app against the whole account — which made 100,000 apps take hours.)
    """
    names = [zone_name(z) for z in range(zones)]
    emulator = Emulator(EmulatorConfig(zones=names, rate_limit=UNLIMITED))
    headers = {"Authorization": "Bearer populate"}
    counts = spread(apps, zones)
    template = names[0]
    with httpx.Client(
        transport=emulator.transport(), base_url=SANDBOX_BASE_URL, headers=headers
    ) as http:
        zone = emulator.ensure_zone(template)
        for i in range(counts[0]):
            url = f"/zones/{zone['id']}/spectrum/apps"
            http.post(url, json=app_config(template, i)).raise_for_status()
    created = emulator.apps(zone["id"])
    zone_docs, live = {}, {}
    for name, count in zip(names, counts, strict=True):
        doc = emulator.ensure_zone(name)
        zone_docs[doc["id"]] = doc
        text = json.dumps(created[:count]).replace(f".{template}", f".{name}")
        copies = json.loads(text)
        for index, app in enumerate(copies):
            app["id"] = hashlib.md5(f"{name} {index}".encode()).hexdigest()
        live[doc["id"]] = copies
    state = {
        "version": 1,
        "account": zone["account"],
        "zones": zone_docs,
        "prefixes": [],
        "apps": live,
    }
    path.write_text(json.dumps(state), encoding="utf-8")
    return path


def emulator_from(state: Path, **config: Any) -> Emulator:
    """A fresh emulator holding the saved apps, from its own copy of the file: an emulator
    holds its state file's lock for as long as it lives, and runs may overlap."""
    config.setdefault("rate_limit", UNLIMITED)
    copy = state.with_name(f"{state.stem}-{next(_copies)}{state.suffix}")
    shutil.copyfile(state, copy)
    return Emulator(EmulatorConfig(state_file=copy, **config))


_copies = itertools.count(1)


def client_for(
    emulator: Emulator,
    *,
    rate_limit: RateLimit = CLOUDFLARE_DEFAULT,
    transport: httpx.BaseTransport | None = None,
    **options: Any,
) -> CloudflareClient:
    """The real client, in-process against ``emulator``, with the production retry policy."""
    return CloudflareClient(
        "bench-token",
        base_url=SANDBOX_BASE_URL,
        transport=transport or emulator.transport(),
        rate_limit=rate_limit,
        retry=RetryPolicy(),
        seed=1,
        **options,
    )
