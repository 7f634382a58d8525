"""import-terraform on fuzzed states: it writes files that validate, or refuses in one line naming
the resource address, and writes nothing. Never an internal error, never a file ``validate``
refuses (a ``dns.name`` list once became the string ``'[''a'']'``)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.cli import cli
from reconciler.desired.loading import load_desired_state
from tests.conftest import FIXTURES

SPECTRUM = "cloudflare_spectrum_application"
STATES = {
    name: json.loads((FIXTURES / "terraform" / name).read_text())
    for name in ("v4-show.json", "v5-show.json")
}

scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 70000),
    st.sampled_from(["", "a", "tcp/22", "ssh.example.com", "tcp://192.0.2.1:22", "x y"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.dictionaries(st.sampled_from(["name", "type", "ips", "connectivity", "x"]), inner),
    ),
    max_leaves=6,
)


def spectrum_values(document: dict[str, Any]) -> list[dict[str, Any]]:
    resources = document["values"]["root_module"]["resources"]
    return [r["values"] for r in resources if r["type"] == SPECTRUM]


@settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    name=st.sampled_from(sorted(STATES)),
    which=st.integers(0, 10),
    field=st.sampled_from(
        [
            "dns",
            "protocol",
            "origin_direct",
            "origin_dns",
            "origin_port",
            "edge_ips",
            "tls",
            "ip_firewall",
            "proxy_protocol",
            "traffic_type",
            "argo_smart_routing",
            "zone_id",
        ]
    ),
    value=values,
)
def test_a_fuzzed_state_imports_into_valid_files_or_is_refused_whole(
    tmp_path_factory: Any, name: str, which: int, field: str, value: Any
) -> None:
    document = copy.deepcopy(STATES[name])
    apps = spectrum_values(document)
    apps[which % len(apps)][field] = value
    work = Path(tmp_path_factory.mktemp("fuzz"))
    state = work / "state.json"
    state.write_text(json.dumps(document))
    out = work / "out"
    result = CliRunner().invoke(cli, ["import-terraform", str(state), "--out", str(out)])
    assert result.exit_code in (0, 1), result.output
    assert "internal error" not in result.stderr and "Traceback" not in result.stderr
    written = sorted(out.glob("*.yaml")) if out.exists() else []
    if result.exit_code == 1:
        (line,) = result.stderr.strip().splitlines()
        assert line.startswith("error: ") and (SPECTRUM in line or str(state) in line), line
        assert written == []
        return
    load_desired_state(written)  # raises ConfigError if any written file does not validate


def test_origin_direct_true_is_refused_naming_the_resource(tmp_path: Path) -> None:
    """The review's case (19 of 4,000 fuzzed states): an internal error before (v5)."""
    document = copy.deepcopy(STATES["v5-show.json"])
    spectrum_values(document)[0]["origin_direct"] = True
    (tmp_path / "state.json").write_text(json.dumps(document))
    result = CliRunner().invoke(
        cli, ["import-terraform", str(tmp_path / "state.json"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert SPECTRUM in line and "internal error" not in line
    assert not (tmp_path / "out").exists() or list((tmp_path / "out").iterdir()) == []


def test_a_dns_name_list_is_never_written_as_a_string(tmp_path: Path) -> None:
    """The review's other case: ``dns.name`` ``['a']`` became the string ``'[''a'']'``."""
    document = copy.deepcopy(STATES["v5-show.json"])
    spectrum_values(document)[0]["dns"]["name"] = ["a"]
    (tmp_path / "state.json").write_text(json.dumps(document))
    result = CliRunner().invoke(
        cli, ["import-terraform", str(tmp_path / "state.json"), "--out", str(tmp_path / "out")]
    )
    assert result.exit_code == 1 and SPECTRUM in result.stderr, result.output
