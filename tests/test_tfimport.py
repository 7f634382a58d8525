"""import-terraform: Terraform state (provider v4 or v5) -> desired state that plans to nothing.

The fixtures in fixtures/terraform/ are states as Terraform writes them, spelled after the
provider's own schemas (v4.52 SDKv2 and 3.x, v5 and its v4 -> v5 state upgrader): ``*.json`` is
``terraform show -json`` output, ``*.tfstate`` a raw state; ``<fixture>.live.json`` holds the same
apps as Cloudflare's API holds them, written by hand — never derived from the importer.

``provider-v4-upgrade.tfstate`` and ``provider-v5-upgrade.tfstate`` are not ours: they are the
provider's own state-upgrade test data (terraform-provider-cloudflare v5.22.0,
``internal/services/spectrum_application/migration/v500``: the ``testdata/v4_*.tf`` and
``v5_*.tf`` configurations, and the early-v5 state of ``handler_test.go``, issue #7098) stored
as each provider version stores them, per that package's schema notes: v4 (SDKv2) at
``schema_version`` 0 with ``dns``/``edge_ips``/``origin_port_range`` as lists; early v5 with
objects at 0; v5 production at 1; current v5 at 500.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.emulator import Emulator, EmulatorConfig
from reconciler.errors import TerraformStateError
from reconciler.interop.tfimport import import_state, instance_key, removed_blocks, strip_keys
from reconciler.model import AppKey
from tests.conftest import DOC_PREFIXES, FIXTURES, make_client
from tests.tool_skips import need

TERRAFORM = FIXTURES / "terraform"
STATES = sorted(p.name for p in TERRAFORM.iterdir() if not p.name.endswith(".live.json"))


def state(name: str) -> dict[str, Any]:
    return json.loads((TERRAFORM / name).read_text())


def load_live(name: str, directory: Path) -> None:
    """Put the fixture's apps into a sandbox emulator whose state lives in ``directory``."""
    live = json.loads((TERRAFORM / f"{name}.live.json").read_text())
    config = EmulatorConfig(
        state_file=directory / ".spectrum-sandbox.json",
        byoip_prefixes=DOC_PREFIXES,
        virtual_networks=live.get("virtual_networks", {}),
    )
    # Closed on leaving: the state file is locked while an emulator holds it, and the sandbox
    # the CLI opens next must have it.
    with Emulator(config) as emulator, make_client(emulator) as client:
        for zone in live["zones"]:
            emulator.ensure_zone(zone["name"], zone["zone_id"])
            for body in zone["apps"]:
                key = AppKey.of(zone["name"], body["dns"]["name"], body["protocol"])
                client.create_app(zone["zone_id"], key, body)


def test_there_is_a_fixture_per_format_and_provider_version() -> None:
    assert STATES == [
        "provider-v4-upgrade.tfstate",
        "provider-v5-upgrade.tfstate",
        "v3-legacy.tfstate",
        "v4-show.json",
        "v5-show.json",
        "v5.tfstate",
    ]


def test_the_providers_own_upgrade_states_read_as_its_configurations_say() -> None:
    def by_name(name: str) -> dict[str, Any]:
        (zone,) = import_state(state(name)).zones
        return {a.config["dns"]["name"]: dict(a.config) for a in zone.apps}

    v4 = by_name("provider-v4-upgrade.tfstate")
    assert v4["tf-acc-origin-port-range.example.com"]["origin_port"] == "3306-3310"  # a block
    assert v4["tf-acc-edge-ips.example.com"]["edge_ips"] == {
        "type": "dynamic",
        "connectivity": "ipv4",
    }
    early = by_name("provider-v5-upgrade.tfstate")["spectrum.example.com"]  # #7098's shape
    assert early["protocol"] == "tcp/2222" and early["origin_direct"] == ["tcp://1.2.3.4:22"]


# ---- the proof: both tools agree that nothing changes ----


@pytest.mark.parametrize("name", STATES)
def test_imported_state_plans_to_nothing_against_the_same_live_apps(
    name: str, tmp_path: Path, run_cli: Any
) -> None:
    load_live(name, tmp_path)
    imported = run_cli(["import-terraform", str(TERRAFORM / name), "--out", "config"])
    assert imported.exit_code == 0, imported.stderr
    assert "imported" in imported.stderr
    plan = run_cli(["plan", "--sandbox", "--detailed-exitcode", "config"])
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "No changes" in plan.stdout or "no changes" in plan.stdout.lower()


def test_the_proof_can_fail_when_an_app_differs(tmp_path: Path, run_cli: Any) -> None:
    load_live("v4-show.json", tmp_path)
    changed = state("v4-show.json")
    ssh = changed["values"]["root_module"]["resources"][1]["values"]
    ssh["tls"] = "full"
    (tmp_path / "changed.json").write_text(json.dumps(changed))
    assert run_cli(["import-terraform", "changed.json", "--out", "config"]).exit_code == 0
    assert run_cli(["plan", "--sandbox", "--detailed-exitcode", "config"]).exit_code == 2


# ---- what is written ----


def test_one_file_per_zone_named_after_the_zone_with_its_id(tmp_path: Path, run_cli: Any) -> None:
    done = run_cli(["import-terraform", str(TERRAFORM / "v5.tfstate"), "--out", "out"])
    assert done.exit_code == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == ["b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77.yaml", "example.com.yaml", "removed.tf"]
    named = yaml.safe_load((tmp_path / "out" / "example.com.yaml").read_text())
    assert named["zone"] == "example.com"
    assert named["zone_id"] == "023e105f4ecef8ad9ca31a8372d0c353"
    unnamed = yaml.safe_load(
        (tmp_path / "out" / "b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77.yaml").read_text()
    )
    assert "zone" not in unnamed
    assert [a["dns"]["name"] for a in unnamed["apps"]] == ["pg.example.org", "redis.example.org"]
    assert "not carried over: zone b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77: its name" in done.stderr
    assert run_cli(["validate", "out"]).exit_code == 0


def test_two_zones_of_one_name_get_a_file_each(tmp_path: Path, run_cli: Any) -> None:
    document = state("v5.tfstate")
    twin = copy.deepcopy(document["resources"][0])
    twin["name"] = "again"
    twin["instances"][0]["attributes"].update(id="b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77")
    document["resources"].append(twin)  # example.com deleted and added again, say
    (tmp_path / "state.tfstate").write_text(json.dumps(document))
    done = run_cli(["import-terraform", "state.tfstate", "--out", "out"])
    assert done.exit_code == 0, done.stderr
    files = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert files == [
        "023e105f4ecef8ad9ca31a8372d0c353.yaml",
        "b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77.yaml",
        "removed.tf",
    ]
    assert "not carried over: zone example.com: the state gives this name to zones" in done.stderr
    assert run_cli(["validate", "out"]).exit_code == 0
    apps = [yaml.safe_load(p.read_text())["apps"] for p in (tmp_path / "out").glob("*.yaml")]
    assert sum(len(found) for found in apps) == 3


def test_values_are_written_the_way_export_writes_them() -> None:
    (zone,) = import_state(state("v4-show.json")).zones
    configs = {app.config["dns"]["name"]: app.config for app in zone.apps}
    assert configs["db.example.com"]["origin_port"] == "13306-13310"  # from origin_port_range
    assert configs["db.example.com"]["origin_dns"] == {"name": "db-origin.example.com"}
    assert configs["Game.Example.com."]["origin_port"] == 27015
    assert configs["tls.example.com"]["edge_ips"] == {
        "type": "static",
        "ips": ["2001:db8::10", "198.51.100.10"],
    }
    assert configs["ssh.example.com"]["edge_ips"] == {"type": "dynamic", "connectivity": "ipv4"}
    assert "origin_port" not in configs["ssh.example.com"]  # SDKv2's 0 means unset
    assert configs["ssh.example.com"]["ip_firewall"] is True
    assert configs["api.example.com"]["argo_smart_routing"] is True


def test_the_file_is_normalized_sorted_and_minimal(tmp_path: Path, run_cli: Any) -> None:
    assert (
        run_cli(["import-terraform", str(TERRAFORM / "v4-show.json"), "--out", "c"]).exit_code == 0
    )
    text = (tmp_path / "c" / "example.com.yaml").read_text()
    assert "$schema" not in text  # no stable schema location in a bare directory (see export)
    document = yaml.safe_load(text)
    names = [(a["dns"]["name"], a["protocol"]) for a in document["apps"]]
    assert names == sorted(names)
    game = next(a for a in document["apps"] if a["protocol"] == "udp/27015")
    assert game["dns"]["name"] == "game.example.com"  # canonical: lower case, no trailing dot
    assert "tls" not in game and "traffic_type" not in game  # API defaults are left out
    tls = next(a for a in document["apps"] if a["dns"]["name"] == "tls.example.com")
    assert tls["edge_ips"]["ips"] == ["198.51.100.10", "2001:db8::10"]


def test_legacy_edge_ips_list_and_connectivity() -> None:
    (zone,) = import_state(state("v3-legacy.tfstate")).zones
    assert zone.name == "example.net"  # from the data source
    edges = {(a.config["protocol"]): a.config["edge_ips"] for a in zone.apps}
    assert edges["tcp/25"] == {"type": "dynamic", "connectivity": "ipv6"}
    assert edges["tcp/22"] == {"type": "static", "ips": ["203.0.113.5", "2001:db8:0:0::5"]}


def test_v5_dynamic_origin_port_and_objects() -> None:
    (zone,) = import_state(state("v5-show.json")).zones
    configs = {a.config["dns"]["name"]: a.config for a in zone.apps}
    assert configs["rdp.example.com"]["origin_port"] == 3389
    assert configs["range.example.com"]["origin_port"] == "3000-4000"
    assert configs["range.example.com"]["origin_dns"] == {
        "name": "origin.example.com",
        "ttl": 1200,
        "type": "AAAA",
    }
    assert (
        configs["vnet.example.com"]["virtual_network_id"] == "F70FF985-A4EF-4643-BBBC-4A0ED4FC8415"
    )


# ---- removed.tf ----


def test_removed_blocks_name_resources_and_list_every_instance_as_terraform_prints_it() -> None:
    result = import_state(state("v5.tfstate"))
    assert result.removed == (
        (
            "cloudflare_spectrum_application.svc",
            (
                'cloudflare_spectrum_application.svc["eu-west"]',
                'cloudflare_spectrum_application.svc["us \\"east\\""]',
            ),
        ),
        (
            "module.net.module.inner.cloudflare_spectrum_application.web",
            ('module.net[0].module.inner["x"].cloudflare_spectrum_application.web',),
        ),
    )
    text = removed_blocks(result, ["example.com.yaml"])
    assert text.count("removed {") == 2
    assert text.count("destroy = false") == 2
    assert "  from = module.net.module.inner.cloudflare_spectrum_application.web\n" in text
    assert '# cloudflare_spectrum_application.svc["us \\"east\\""]\n' in text


def test_show_json_addresses_are_kept_as_terraform_printed_them() -> None:
    result = import_state(state("v4-show.json"))
    addresses = [a.address for z in result.zones for a in z.apps]
    assert 'module.edge.cloudflare_spectrum_application.app["db"]' in addresses
    assert "module.edge.module.byoip[0].cloudflare_spectrum_application.static[1]" in addresses
    assert [r for r, _ in result.removed] == [
        "cloudflare_spectrum_application.ssh",
        "module.edge.cloudflare_spectrum_application.app",
        "module.edge.module.byoip.cloudflare_spectrum_application.static",
    ]


@pytest.mark.parametrize(
    ("key", "printed"),
    [(0, "[0]"), (12, "[12]"), ("k", '["k"]'), ('a"b', '["a\\"b"]'), ("${x}", '["$${x}"]')],
)
def test_instance_keys_print_as_terraform_prints_them(key: int | str, printed: str) -> None:
    assert instance_key(key) == printed


def test_strip_keys_skips_brackets_inside_quoted_keys() -> None:
    assert strip_keys('module.a["x]y"].module.b[0].t.n["k\\"]"]') == "module.a.module.b.t.n"


# ---- refusals, each naming the resource address ----


def refusal(document: Any) -> str:
    with pytest.raises(TerraformStateError) as caught:
        import_state(document)
    return str(caught.value)


def test_refuses_a_state_without_spectrum_apps() -> None:
    document = state("v4-show.json")
    root = document["values"]["root_module"]
    root["resources"] = [
        r for r in root["resources"] if r["type"] != "cloudflare_spectrum_application"
    ]
    root["child_modules"] = []
    assert "holds no cloudflare_spectrum_application" in refusal(document)


def test_refuses_an_unknown_schema_version_naming_the_address() -> None:
    document = state("v5.tfstate")
    document["resources"][2]["instances"][0]["schema_version"] = 2
    message = refusal(document)
    assert 'module.net[0].module.inner["x"].cloudflare_spectrum_application.web' in message
    assert "schema version 2 is unknown" in message


@pytest.mark.parametrize("hidden", ["missing", "(sensitive value)"])
def test_refuses_a_sensitive_value_the_state_does_not_hold(hidden: str) -> None:
    document = state("v4-show.json")
    ssh = document["values"]["root_module"]["resources"][1]
    assert ssh["sensitive_values"]["origin_direct"] == [True]
    if hidden == "missing":
        del ssh["values"]["origin_direct"]
    else:
        ssh["values"]["origin_direct"] = [hidden]
    message = refusal(document)
    assert message.startswith("cloudflare_spectrum_application.ssh: origin_direct.0 is sensitive")


def test_reads_sensitive_values_the_state_holds() -> None:
    document = state("v5.tfstate")  # origin_direct[0] is marked sensitive and present
    assert import_state(document).app_count == 3


def test_an_empty_string_is_a_value_not_a_redaction() -> None:
    """SDKv2 writes "" for an unset string: marked sensitive, it is still held in the state."""
    document = state("v4-show.json")
    ssh = document["values"]["root_module"]["resources"][1]
    ssh["values"]["dns"][0]["type"] = ""
    ssh["sensitive_values"]["dns"] = [{"type": True}]
    assert import_state(document).app_count == 5
    ssh["values"]["dns"][0]["type"] = "***"
    assert "dns.0.type is sensitive" in refusal(document)


def test_refuses_a_deposed_object() -> None:
    document = state("v3-legacy.tfstate")
    document["resources"][1]["instances"][1]["deposed"] = "00000001"
    assert refusal(document).startswith("cloudflare_spectrum_application.legacy[1]: a deposed")


def test_refuses_the_same_app_managed_twice_naming_both() -> None:
    document = state("v3-legacy.tfstate")
    twin = copy.deepcopy(document["resources"][1]["instances"][0])
    twin["index_key"] = 2
    document["resources"][1]["instances"].append(twin)
    message = refusal(document)
    assert "legacy[0] and cloudflare_spectrum_application.legacy[2] are the same app" in message


@pytest.mark.parametrize(
    ("document", "says"),
    [
        ([], "not an object"),
        ({"version": 3, "resources": []}, "state format version 3"),
        ({"encrypted_data": "…", "encryption_version": "v0"}, "encrypted"),
        ({"hello": 1}, "not a Terraform state"),
    ],
)
def test_refuses_what_is_not_a_readable_state(document: Any, says: str) -> None:
    assert says in refusal(document)


def _set(path: tuple[Any, ...], value: Any) -> Any:
    """An edit of one place of a fixture, for the misshapen-state table below."""

    def edit(document: Any) -> None:
        target = document
        for step in path[:-1]:
            target = target[step]
        target[path[-1]] = value

    return edit


_APP = ("resources", 1, "instances", 0)


@pytest.mark.parametrize(
    ("name", "edit", "says"),
    [
        ("v5.tfstate", _set(("resources",), {}), "resources is {}, not a list"),
        ("v5.tfstate", _set(("resources",), [1]), "resources holds 1, not an object"),
        ("v5.tfstate", _set(("resources", 1, "instances"), [1]), "svc: instances holds 1"),
        ("v5.tfstate", _set((*_APP, "attributes"), []), '"eu-west"]: attributes is []'),
        ("v5.tfstate", _set((*_APP, "attributes", "dns"), "x"), '"eu-west"]: dns is "x"'),
        ("v5.tfstate", _set((*_APP, "attributes", "edge_ips"), "x"), 'edge_ips is "x"'),
        ("v5.tfstate", _set((*_APP, "sensitive_attributes"), [5]), "sensitive_attributes is 5"),
        ("v5.tfstate", _set(("resources", 1, "module"), 5), "module 5 is not an address"),
        ("v4-show.json", _set(("values",), "x"), 'values is "x", not an object'),
        ("v4-show.json", _set(("values", "root_module", "child_modules"), [5]), "child_modules"),
    ],
)
def test_a_misshapen_state_is_refused_naming_the_place(name: str, edit: Any, says: str) -> None:
    document = state(name)
    edit(document)
    message = refusal(document)
    assert says in message
    assert "not as Terraform writes a state" in message


def test_reports_attributes_it_does_not_carry_over() -> None:
    document = state("v5-show.json")
    document["values"]["root_module"]["resources"][0]["values"]["future_field"] = "on"
    notes = [str(n) for n in import_state(document).notes]
    assert notes == [
        'cloudflare_spectrum_application.rdp: future_field = "on" is not carried over (no such app field)'
    ]


# ---- the command line ----


def test_bad_json_is_one_located_line_and_nothing_is_written(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "state.json").write_text('{"format_version": "1.0",')
    done = run_cli(["import-terraform", "state.json", "--out", "out"])
    assert done.exit_code == 1
    assert done.stderr.startswith("error: state.json: line 1 column 26: not JSON")
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists() or not any((tmp_path / "out").iterdir())


def test_a_refusal_exits_1_naming_the_file_and_writes_nothing(tmp_path: Path, run_cli: Any) -> None:
    document = state("v5.tfstate")
    document["resources"][1]["instances"][0]["schema_version"] = 7
    (tmp_path / "state.tfstate").write_text(json.dumps(document))
    done = run_cli(["import-terraform", "state.tfstate", "--out", "out"])
    assert done.exit_code == 1
    assert done.stderr.startswith(
        'error: state.tfstate: cloudflare_spectrum_application.svc["eu-west"]'
    )
    assert not (tmp_path / "out").exists()


# A valid zone name (253 characters, labels of at most 63) whose file name (+ ".yaml") is longer
# than a file system allows: the files validate, and one still cannot be written.
LONGEST_ZONE_NAME = ".".join(["a" * 63, "b" * 63, "c" * 63, "d" * 58, "io"])


def test_no_partial_write_when_one_output_cannot_be_written(tmp_path: Path, run_cli: Any) -> None:
    document = state("v5.tfstate")
    zone = copy.deepcopy(document["resources"][0])  # names the second zone: too long a file name
    zone["instances"][0]["attributes"].update(
        id="b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77", name=LONGEST_ZONE_NAME
    )
    document["resources"].append(zone)
    for resource in document["resources"]:  # its apps at the zone apex, so they validate
        for instance in resource["instances"]:
            attributes = instance["attributes"]
            if (
                attributes.get("zone_id") == "b5f1f5a8a0d34a9b8a3f6c2d1e0f9a77"
                and "dns" in attributes
            ):
                attributes["dns"]["name"] = LONGEST_ZONE_NAME
    (tmp_path / "state.tfstate").write_text(json.dumps(document))
    done = run_cli(["import-terraform", "state.tfstate", "--out", "out"])
    assert done.exit_code == 1
    assert "cannot write" in done.stderr, done.stderr
    assert list((tmp_path / "out").iterdir()) == []


def test_never_replaces_a_file_already_there(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "out").mkdir()
    mine = "zone: example.com\nzone_id: 023e105f4ecef8ad9ca31a8372d0c353\napps: []\n"
    (tmp_path / "out" / "example.com.yaml").write_text(mine)
    (tmp_path / "out" / "removed.tf").write_text("# other resources\n")
    done = run_cli(["import-terraform", str(TERRAFORM / "v5.tfstate"), "--out", "out"])
    assert done.exit_code == 1
    assert done.stderr.startswith(
        "error: out/example.com.yaml, out/removed.tf already exist — nothing was written"
    )
    assert (tmp_path / "out" / "example.com.yaml").read_text() == mine
    assert (tmp_path / "out" / "removed.tf").read_text() == "# other resources\n"
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "example.com.yaml",
        "removed.tf",
    ]


def test_force_replaces_the_files_already_there(tmp_path: Path, run_cli: Any) -> None:
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "example.com.yaml").write_text("zone: example.com\napps: []\n")
    (tmp_path / "out" / "removed.tf").write_text("# other resources\n")
    (tmp_path / "out" / "notes.txt").write_text("mine\n")
    args = ["import-terraform", str(TERRAFORM / "v5.tfstate"), "--out", "out"]
    done = run_cli([*args, "--force"])
    assert done.exit_code == 0, done.stderr
    fresh = tmp_path / "fresh"
    assert run_cli([*args[:-1], str(fresh)]).exit_code == 0
    for name in ("example.com.yaml", "removed.tf"):
        assert (tmp_path / "out" / name).read_bytes() == (fresh / name).read_bytes()
    assert (tmp_path / "out" / "notes.txt").read_text() == "mine\n"  # only its own files


def test_force_is_in_the_help(run_cli: Any) -> None:
    assert "--force" in run_cli(["import-terraform", "--help"]).stdout


@pytest.mark.parametrize("name", STATES)
def test_terraform_itself_accepts_removed_tf(name: str, tmp_path: Path) -> None:
    """terraform validate, which needs no provider for removed blocks, rejects instance keys
    in ``from`` ("must be a resource ... not a resource instance") and any syntax slip.
    Needs ``terraform`` on PATH; without it these skip, declared optional (tool_skips)."""
    need("terraform")
    result = import_state(state(name))
    (tmp_path / "removed.tf").write_text(removed_blocks(result, ["example.com.yaml"]))
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}

    def terraform(*args: str) -> subprocess.CompletedProcess[str]:
        command = ["terraform", *args]
        return subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True)

    assert terraform("init", "-backend=false", "-input=false").returncode == 0
    checked = terraform("validate", "-no-color")
    assert checked.returncode == 0, checked.stdout + checked.stderr


ZONE_ID = "fedcba9876543210fedcba9876543210"


def zone_by_id_only(directory: Path, *names: str) -> str:
    """A sandbox zone example.com, and a file that declares it by id only, as an import of a
    state with no zone name writes it."""
    config = EmulatorConfig(state_file=directory / ".spectrum-sandbox.json")
    with Emulator(config) as emulator:
        emulator.ensure_zone("example.com", ZONE_ID)
    apps = "".join(
        f"  - dns: {{type: CNAME, name: {name}}}\n    protocol: tcp/22\n"
        f"    origin_direct: ['tcp://192.0.2.1:22']\n"
        for name in names
    )
    (directory / "config").mkdir()
    (directory / "config" / "zone.yaml").write_text(f"zone_id: {ZONE_ID}\napps:\n{apps}")
    return str(directory / "config")


def test_a_zone_declared_by_id_only_is_planned_under_its_name(tmp_path: Path, run_cli: Any) -> None:
    # issue 25 item 17: the plan said "create in fedcba98…" and named no zone
    config = zone_by_id_only(tmp_path, "ssh.example.com")
    plan = run_cli(["plan", "--sandbox", config])
    assert plan.exit_code == 0, plan.stdout + plan.stderr
    assert "ssh.example.com tcp/22 (create in example.com)" in plan.stdout


def test_a_name_outside_the_zone_read_by_id_is_refused_at_plan_time(
    tmp_path: Path, run_cli: Any
) -> None:
    # before, apply sent the create, Cloudflare refused it (11909) and apply said INCOMPLETE
    config = zone_by_id_only(tmp_path, "ssh.example.com", "ssh.example.org")
    for command in (["plan"], ["apply", "--auto-approve"]):
        result = run_cli([*command, "--sandbox", config])
        assert result.exit_code == 1, result.stdout + result.stderr
        assert f"{config}/zone.yaml:6:5: ssh.example.org" in result.stderr
        assert "ssh.example.org is not in zone example.com" in result.stderr
        assert "INCOMPLETE" not in result.stdout + result.stderr
    with Emulator(EmulatorConfig(state_file=tmp_path / ".spectrum-sandbox.json")) as emulator:
        assert emulator.apps(ZONE_ID) == []
