"""A saved state edited by hand, or written by another version, is refused naming the file and
the field before anything reads it: never a crash at the first request."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from emulator_helpers import client_for, make_emulator, tcp_app

from reconciler.emulator import StateFileError

Edit = Callable[[dict[str, Any]], None]
TRAFFIC = ("ssh.example.com=60",)
DELEGATION = ("198.51.100.0/28,to=" + "b" * 32,)


def _saved(tmp_path: Path) -> dict[str, Any]:
    """A state holding traffic spans, a delegation and a lease, as the emulator saved it."""
    state = tmp_path / "saved.json"
    emu = make_emulator(
        state_file=state,
        traffic=TRAFFIC,
        delegations=DELEGATION,
        leased_prefixes=("203.0.113.0/28",),
    )
    zone_id = str(emu.ensure_zone("example.com")["id"])
    with client_for(emu) as client:
        created = client.post(f"/zones/{zone_id}/spectrum/apps", json=tcp_app())
        assert created.status_code == 200, created.text
        emu.advance(600)
    emu.close()
    doc: dict[str, Any] = json.loads(state.read_text())
    return doc


def _each_entry(section: str, field: str, value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for records in doc[section].values():
            for record in records:
                record[field] = value

    return edit


def _spans(value: Any) -> Edit:
    def edit(doc: dict[str, Any]) -> None:
        for entry in doc["traffic"]["apps"].values():
            entry["spans"] = value

    return edit


@pytest.mark.parametrize(
    ("edit", "said"),
    [
        (lambda d: d["traffic"].update(offset="x"), "traffic.offset must be a number"),
        (lambda d: d["traffic"].update(settled=None), "traffic.settled must be a number"),
        (lambda d: d.update(traffic=[]), "traffic must be an object"),
        (_spans([[1, 2]]), "spans must be [start, end, rate] lists"),
        (_spans("x"), "spans must be [start, end, rate] lists"),
        (lambda d: d["traffic"].update(apps={"a": "x"}), "traffic.apps.a must be an object"),
        (lambda d: d.update(delegations=[]), "delegations must be an object"),
        (_each_entry("delegations", "cidr", None), "].cidr must be a CIDR"),
        (_each_entry("delegations", "created_at", 1), "].created_at must be a string"),
        (_each_entry("bindings", "active_after", "soon"), "].active_after must be a number"),
        (_each_entry("bgp_prefixes", "on_demand", None), "].on_demand must be an object"),
        (lambda d: d["leased"][0].pop("created_at"), "leased[0].created_at missing"),
        (_each_entry("delegations", "cidr", "zz"), "].cidr must be a CIDR"),
        (_each_entry("bindings", "service_name", 5), "].service_name must be a string"),
        (
            lambda d: d.update(leased=[{"account_id": "a", "created_at": "t"}]),
            "leased[0] must hold",
        ),
        (lambda d: d.update(leased=[5]), "leased[0] must hold a CIDR"),
        (lambda d: d["leased"][0].pop("account_id"), "leased[0].account_id missing"),
        (
            lambda d: d.update(dns_records={"z": [{"id": "r"}]}),
            "dns_records.z[0].name must be a string",
        ),
    ],
)
def test_a_malformed_section_is_named_before_the_store_uses_it(
    tmp_path: Path, edit: Edit, said: str
) -> None:
    doc = _saved(tmp_path)
    edit(doc)
    state = tmp_path / "edited.json"
    state.write_text(json.dumps(doc))
    with pytest.raises(StateFileError) as raised:
        make_emulator(state_file=state, traffic=TRAFFIC)
    assert str(raised.value).startswith(f"{state}: not an emulator state file (")
    assert said in str(raised.value)


def test_an_older_state_without_the_later_sections_still_loads(tmp_path: Path) -> None:
    doc = _saved(tmp_path)
    for section in ("traffic", "delegations", "dns_records", "bindings", "bgp_prefixes"):
        del doc[section]
    doc["leased"] = ["203.0.113.0/28"]  # a bare CIDR: a lease from before several accounts
    state = tmp_path / "old.json"
    state.write_text(json.dumps(doc))
    make_emulator(state_file=state, traffic=TRAFFIC).close()


def test_a_malformed_state_is_one_line_from_the_command(run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    doc = _saved(tmp_path)
    doc["traffic"]["offset"] = "soon"
    state = tmp_path / "edited.json"
    state.write_text(json.dumps(doc))
    result = run_cli(["emulator", "--port", "0", "--state", str(state)])
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert result.exit_code == 1 and "traffic.offset must be a number" in result.stderr
    assert "Traceback" not in result.stderr and len(lines) <= 3
