"""One file's edits, the layout check behind every write, and the re-plan check behind adopt."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.desired.loading import desired_state_from_texts
from reconciler.errors import AdoptError
from reconciler.interop.adopt import Selection, adopt
from reconciler.interop.adopt.edits import FileEdit
from reconciler.interop.adopt.layout import check_kept
from reconciler.interop.adopt.roundtrip import RoundTrip
from reconciler.model import AppKey, LiveApp, LiveZone

TEXT = """\
# the zone
zone: example.com
apps:
  # ssh
  - dns: {type: CNAME, name: ssh.example.com}
    protocol: tcp/22
    origin_direct: ["tcp://192.0.2.1:22"]
"""
SSH = AppKey.of("example.com", "ssh.example.com", "tcp/22")


def test_a_line_outside_the_edited_apps_may_not_change() -> None:
    edited = TEXT.replace("# the zone", "# The zone")
    with pytest.raises(AdoptError, match=r"^f\.yaml:1: writing the adopted values would also"):
        check_kept("f.yaml", TEXT, edited, editable={4, 5, 6})
    check_kept("f.yaml", TEXT, edited, editable={0})
    check_kept("f.yaml", TEXT, TEXT + "  - more\n", editable=set())  # added lines are fine


def test_a_file_ruamel_would_rewrite_is_refused_naming_the_line() -> None:
    spaced = TEXT.replace("zone: example.com", "zone:    example.com")
    with pytest.raises(AdoptError, match=r"^f\.yaml:2: writing the file back would change"):
        RoundTrip("f.yaml", spaced)


def test_a_byte_order_mark_and_the_untouched_lines_survive_an_edit() -> None:
    edit = FileEdit("f.yaml", "\ufeff" + TEXT)
    edit.set_fields(SSH, {"tls": "full"})
    assert edit.text() == "\ufeff" + TEXT + "    tls: full\n"


def test_an_app_appended_to_a_file_without_apps() -> None:
    edit = FileEdit("f.yaml", "zone: example.com  # only the zone\n")
    edit.append({"dns": {"type": "CNAME", "name": "a.example.com"}, "protocol": "tcp/1"})
    assert edit.text() == (
        "zone: example.com  # only the zone\napps:\n"
        "  - dns:\n      type: CNAME\n      name: a.example.com\n    protocol: tcp/1\n"
    )


def test_a_new_value_yaml_1_1_would_read_as_a_boolean_is_quoted() -> None:
    edit = FileEdit("f.yaml", TEXT)
    edit.set_fields(SSH, {"proxy_protocol": "off", "tls": "flexible"})
    assert edit.text().endswith('    tls: flexible\n    proxy_protocol: "off"\n')


def _live(**fields: Any) -> list[LiveZone]:
    config = {
        "id": "a1",
        "dns": {"type": "CNAME", "name": "ssh.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://192.0.2.1:22"],
        **fields,
    }
    return [LiveZone("example.com", "z1", (LiveApp("a1", config),))]


def test_adopt_refuses_edits_that_would_not_plan_empty(monkeypatch: pytest.MonkeyPatch) -> None:
    texts = {"f.yaml": TEXT}
    desired = desired_state_from_texts([("f.yaml", TEXT.encode())])
    live = _live(tls="full")
    assert adopt(texts, desired, live, Selection()).files["f.yaml"][1].endswith("tls: full\n")
    # A wrong edit (here: none at all) must be caught by re-planning, not written.
    monkeypatch.setattr("reconciler.interop.adopt.adopting.field_edits", lambda *_: {})
    with pytest.raises(AdoptError, match="would plan as update instead of matching live"):
        adopt(texts, desired, live, Selection())
