"""The address check end to end: each emulator state gives its refusal or warning, in every
format, before any write; ``--strict`` refuses warnings; reads happen once, only when needed."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.applying import workflow
from reconciler.checks.static_ips import AddressChecks
from reconciler.emulator import Emulator, serve
from reconciler.errors import AddressRefusedError, PermissionDeniedError
from tests.conftest import make_client, make_emulator

TOKEN = "tok-address-check-0123456789"
PLANE = (
    "198.51.100.0/24",  # Spectrum, advertised: fine
    "203.0.113.0/24,service=cdn",  # binding_not_spectrum
    "192.0.2.0/24,advertised=no",  # prefix_withdrawn
    "100.64.0.0/24,service=magic_transit",  # UDP refused, TCP warned
    "100.64.1.0/24,approved=no",  # refused
    "2001:db8::/48,service=cdn",  # gets a provisioning Spectrum binding below
)
LEASED = ("172.65.64.0/24",)  # in the account's leased address map: no warning


def static_app(name: str, ip: str, protocol: str = "tcp/22") -> dict[str, Any]:
    transport = "tcp" if protocol in ("ssh", "rdp") else protocol.split("/")[0]
    port = {"ssh": "22", "rdp": "3389"}.get(protocol, protocol.split("/")[-1])
    return {
        "dns": {"type": "ADDRESS", "name": f"{name}.example.com"},
        "protocol": protocol,
        "origin_direct": [f"{transport}://10.0.0.1:{port}"],
        "edge_ips": {"type": "static", "ips": [ip]},
    }


def dynamic_app(name: str) -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"{name}.example.com"},
        "protocol": "tcp/22",
        "origin_direct": ["tcp://10.0.0.1:22"],
    }


def write(directory: Path, apps: list[dict[str, Any]]) -> str:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "apps.yaml").write_text(json.dumps({"zone": "example.com", "apps": apps}))
    return str(directory)


def plane_emulator(**overrides: Any) -> Emulator:
    emulator = make_emulator(byoip_prefixes=PLANE, leased_prefixes=LEASED, **overrides)
    _provisioning_spectrum_binding(emulator, "2001:db8::/48", "2001:db8::/64")
    return emulator


def _provisioning_spectrum_binding(emulator: Emulator, prefix_cidr: str, cidr: str) -> None:
    """POST a more specific Spectrum binding: it stays provisioning (binding_provisioning_s)."""
    with httpx.Client(transport=emulator.transport(), base_url="http://e/client/v4") as http:
        auth = {"Authorization": "Bearer x"}
        base = f"/accounts/{emulator.account_id}/addressing"
        services = http.get(f"{base}/services", headers=auth).json()["result"]
        spectrum = next(s["id"] for s in services if s["name"] == "Spectrum")
        prefixes = http.get(f"{base}/prefixes", headers=auth).json()["result"]
        prefix_id = next(p["id"] for p in prefixes if p["cidr"] == prefix_cidr)
        made = http.post(
            f"{base}/prefixes/{prefix_id}/bindings",
            json={"cidr": cidr, "service_id": spectrum},
            headers=auth,
        )
        assert made.status_code == 200, made.text


EVERY_WARNING = [
    static_app("fine", "198.51.100.10"),
    static_app("cdn", "203.0.113.10"),
    static_app("withdrawn", "192.0.2.10", "udp/53"),
    static_app("leased", "172.65.64.13"),
    static_app("pending", "2001:db8::10", "tcp/443"),
]
WARNED = {
    "cdn.example.com": "binding_not_spectrum",
    "withdrawn.example.com": "prefix_withdrawn",
    "pending.example.com": "binding_provisioning",
}


@contextlib.contextmanager
def loopback(emulator: Emulator) -> Iterator[list[str]]:
    with serve(emulator, host="127.0.0.1", port=0) as running:
        yield ["--base-url", running.base_url]


def live_count(emulator: Emulator, zone: str = "example.com") -> int:
    return len(emulator.apps(emulator.ensure_zone(zone)["id"]))


class TestWarnings:
    def test_each_state_gives_its_warning_in_text_json_and_markdown(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator(binding_provisioning_s=3600)
        config = write(tmp_path / "c", EVERY_WARNING)
        env = {"CLOUDFLARE_API_TOKEN": TOKEN}
        with loopback(emulator) as url:
            text = run_cli(["plan", *url, config], env=env)
            as_json = run_cli(["plan", *url, "--format", "json", config], env=env)
            markdown = run_cli(["plan", *url, "--format", "markdown", config], env=env)
        assert text.exit_code == as_json.exit_code == markdown.exit_code == 0, text.stderr
        document = json.loads(as_json.stdout)
        found = {w["key"]["dns_name"]: w["kind"] for w in document["warnings"]}
        assert found == WARNED
        assert document["address_checks"] == "checked"
        for warning in document["warnings"]:
            assert warning["source"].startswith(f"{config}/apps.yaml:1:")
            assert warning["ip"] in warning["message"]
            assert f"[{warning['kind']}] {warning['source']}" in text.stdout
            assert f"`{warning['kind']}` `{warning['source']}`" in markdown.stdout
        head = markdown.stdout.split("| | Action |")[0]
        assert "#### ⚠️ 3 address warnings" in head, "the warnings come before the actions"
        assert text.stdout.index("! warning [") < text.stdout.index("+ cdn.example.com")

    def test_warnings_do_not_stop_apply_and_the_next_plan_is_empty(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        desired = workflow.load([write(tmp_path / "c", EVERY_WARNING)])
        with make_client(emulator) as client:
            plan = workflow.plan_for(desired, client)
            assert {w.kind for w in plan.warnings} == {
                "binding_not_spectrum", "prefix_withdrawn"
            }  # fmt: skip
            from reconciler.applying.executor import Executor

            assert Executor(client).apply(plan).complete
            again = workflow.plan_for(desired, client)
        assert not again.has_changes and again.warnings == ()
        assert again.address_checks == "not needed"

    def test_drift_checks_every_declared_app_even_unchanged(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        desired = workflow.load([write(tmp_path / "c", EVERY_WARNING)])
        with make_client(emulator) as client:
            from reconciler.applying.executor import Executor

            Executor(client).apply(workflow.plan_for(desired, client))
            drift = workflow.drift_for(desired, client)
        assert not drift.has_drift
        assert {w.key.dns_name for w in drift.warnings} == set(WARNED) - {"pending.example.com"}


def test_udp_on_byoip_and_static_ssh_rdp_validate_apply_and_plan_empty(tmp_path: Path) -> None:
    emulator = make_emulator(leased_prefixes=LEASED)
    apps = [
        static_app("game", "198.51.100.40", "udp/27015"),
        static_app("admin", "2001:db8::40", "ssh"),
        static_app("desk", "203.0.113.40", "rdp"),
        static_app("leased", "172.65.64.40", "udp/53"),
    ]
    desired = workflow.load([write(tmp_path / "c", apps)])
    with make_client(emulator) as client:
        plan = workflow.plan_for(desired, client)
        assert plan.warnings == (), "a leased IP is recognized from the account's address map"
        from reconciler.applying.executor import Executor

        assert Executor(client).apply(plan).complete
        assert not workflow.plan_for(desired, client).has_changes
    protocols = sorted(
        a["protocol"] for a in emulator.apps(emulator.ensure_zone("example.com")["id"])
    )
    assert protocols == ["rdp", "ssh", "udp/27015", "udp/53"]


class TestRefusals:
    @pytest.mark.parametrize(
        ("app", "kind"),
        [
            (static_app("mt", "100.64.0.10", "udp/53"), "udp_on_magic_transit"),
            (static_app("unapproved", "100.64.1.10"), "prefix_not_approved"),
        ],
    )
    def test_refused_before_any_write_with_the_app_located(
        self, run_cli, tmp_path: Path, app: dict[str, Any], kind: str
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = write(tmp_path / "c", [dynamic_app("other"), app])
        with loopback(emulator) as url:
            result = run_cli(
                ["apply", *url, "--auto-approve", config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1
        assert live_count(emulator) == 0, "nothing was written"
        lines = result.stderr.strip().splitlines()
        assert lines[0].startswith(f"{config}/apps.yaml:1:") and f"[{kind}]" in lines[0]
        assert "nothing was written" in lines[-1]
        # issue 25 item 19: the plan first (as for a preflight refusal), then the refusals
        assert "+ other.example.com" in result.stdout and "Plan: 2 to create" in result.stdout

    @pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
    def test_plan_shows_the_plan_then_the_address_refusals(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path, fmt: str
    ) -> None:
        emulator = plane_emulator()
        app = static_app("unapproved", "100.64.1.10")
        config = write(tmp_path / "c", [dynamic_app("other"), app])
        with loopback(emulator) as url:
            result = run_cli(
                ["plan", *url, "--format", fmt, config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1
        assert "other.example.com" in result.stdout and "unapproved.example.com" in result.stdout
        assert "[prefix_not_approved]" in result.stderr

    @pytest.mark.parametrize("fmt", ["text", "json", "markdown"])
    def test_drift_shows_the_drift_report_then_the_address_refusals(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path, fmt: str
    ) -> None:
        emulator = plane_emulator()
        app = static_app("unapproved", "100.64.1.10")
        config = write(tmp_path / "c", [dynamic_app("other"), app])
        with loopback(emulator) as url:
            result = run_cli(
                ["drift", *url, "--format", fmt, config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1
        assert "other.example.com" in result.stdout and "unapproved.example.com" in result.stdout
        assert "[prefix_not_approved]" in result.stderr

    def test_self_heal_reports_the_cycles_drift_then_the_address_refusals(  # type: ignore[no-untyped-def]
        self, run_cli, tmp_path: Path
    ) -> None:
        emulator = plane_emulator()
        config = write(tmp_path / "c", [dynamic_app("other"), static_app("bad", "100.64.1.10")])
        with loopback(emulator) as url:
            result = run_cli(
                ["reconcile", "--once", "--self-heal", *url, config],
                env={"CLOUDFLARE_API_TOKEN": TOKEN},
            )
        assert result.exit_code == 1
        assert live_count(emulator) == 0, "nothing was written"
        # the drift it found, then why it wrote nothing
        assert result.stdout.startswith("cycle 1: failed (0 changed, 0 unmanaged, 2 missing)")
        assert "[prefix_not_approved]" in result.stdout + result.stderr

    def test_tcp_on_magic_transit_is_a_warning_udp_a_refusal(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        tcp = workflow.load([write(tmp_path / "t", [static_app("mt", "100.64.0.10")])])
        udp = workflow.load([write(tmp_path / "u", [static_app("mt", "100.64.0.10", "udp/53")])])
        with make_client(emulator) as client:
            plan = workflow.plan_for(tcp, client)
            assert [w.kind for w in plan.warnings] == ["binding_not_spectrum"]
            with pytest.raises(AddressRefusedError) as refused:
                workflow.plan_for(udp, client)
        (problem,) = refused.value.problems
        assert "[udp_on_magic_transit]" in problem.message

    @pytest.mark.parametrize("command", ["plan", "apply", "drift"])
    def test_strict_turns_warnings_into_exit_1_with_nothing_written(
        self, run_cli, tmp_path: Path, command: str
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = write(tmp_path / "c", [static_app("cdn", "203.0.113.10")])
        extra = ["--auto-approve"] if command == "apply" else []
        with loopback(emulator) as url:
            result = run_cli(
                [command, *url, "--strict", *extra, config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "[binding_not_spectrum]" in result.stderr and "--strict" in result.stderr
        assert live_count(emulator) == 0
        # plan and apply show the plan they refuse, drift its drift report
        assert "cdn.example.com" in result.stdout
        assert "no live state was read" not in result.stdout  # it was: the refusal came first

    def test_apply_of_a_saved_plan_checks_the_plane_again(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = write(tmp_path / "c", [static_app("cdn", "203.0.113.10")])
        saved = tmp_path / "plan.json"
        env = {"CLOUDFLARE_API_TOKEN": TOKEN}
        with loopback(emulator) as url:
            assert run_cli(["plan", *url, "--out", str(saved), config], env=env).exit_code == 0
            strict = run_cli(["apply", *url, "--strict", "--plan", str(saved)], env=env)
            assert strict.exit_code == 1 and live_count(emulator) == 0
            assert run_cli(["apply", *url, "--plan", str(saved)], env=env).exit_code == 0
        assert live_count(emulator) == 1


class TestReads:
    def test_no_static_ip_to_write_reads_nothing_of_the_plane(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        desired = workflow.load([write(tmp_path / "c", [dynamic_app("a")])])
        emulator.reset_stats()
        with make_client(emulator) as client:
            plan = workflow.plan_for(desired, client)
        assert plan.address_checks == "not needed"
        assert not any("addressing" in route for route in emulator.stats()["requests"])

    def test_the_plane_costs_two_plus_two_per_prefix_once_per_account(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        apps = [static_app(f"a{i}", f"198.51.100.{i}") for i in range(1, 30)]
        desired = workflow.load([write(tmp_path / "c", apps)])
        with make_client(emulator) as client:
            baseline = client.requests_sent
            workflow.plan_for(desired, client, checks=AddressChecks(skip=True))
            app_minimum = client.requests_sent - baseline
        with make_client(emulator) as client:
            plan = workflow.plan_for(desired, client)
            checked = client.requests_sent
        assert plan.address_checks == "checked" and plan.warnings == ()
        assert checked == app_minimum + 2 + 2 * len(PLANE)

    def test_a_token_without_ip_prefixes_permission_is_told_which_one(
        self, run_cli, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = write(tmp_path / "c", [static_app("fine", "198.51.100.10")])
        refusing = _refusing_addressing(emulator.transport())
        monkeypatch.setattr(
            "reconciler.live.accounts.open_client",
            lambda connection, zones=(), **_: make_client(emulator, transport=refusing),
        )
        result = run_cli(["plan", config])
        assert result.exit_code == 1
        (line,) = result.stderr.strip().splitlines()
        assert "IP Prefixes > Read" in line and "--skip-address-checks" in line
        skipped = run_cli(["plan", "--format", "json", "--skip-address-checks", config])
        assert skipped.exit_code == 0, skipped.stderr
        assert json.loads(skipped.stdout)["address_checks"] == "skipped"
        text = run_cli(["plan", "--skip-address-checks", config])
        assert "address checks skipped (--skip-address-checks)" in text.stdout

    @pytest.mark.parametrize("command", ["plan", "apply", "drift"])
    def test_strict_and_skip_together_are_a_usage_error(self, run_cli, command: str) -> None:  # type: ignore[no-untyped-def]
        result = run_cli([command, "--strict", "--skip-address-checks", "--sandbox", "examples/"])
        assert result.exit_code == 2  # click's usage error; main() makes it 1
        assert "--strict refuses address warnings and --skip-address-checks" in result.stderr
        assert not list(Path().glob(".spectrum-sandbox.json*"))  # refused before any read

    def test_a_refused_read_is_a_permission_error_from_the_client(self) -> None:
        emulator = plane_emulator()
        with make_client(emulator, transport=_refusing_addressing(emulator.transport())) as c:
            with pytest.raises(PermissionDeniedError, match="IP Prefixes"):
                c.addresses.plane(emulator.account_id)


def test_a_zone_given_by_id_reads_its_account_once_from_the_zone_object(tmp_path: Path) -> None:
    emulator = plane_emulator()
    zone_id = emulator.ensure_zone("example.com")["id"]
    config = tmp_path / "c.yaml"
    config.write_text(json.dumps({"zone": "example.com", "zone_id": zone_id,
                                  "apps": [static_app("a", "198.51.100.10")]}))  # fmt: skip
    desired = workflow.load([str(config)])
    emulator.reset_stats()
    with make_client(emulator) as client:
        assert workflow.plan_for(desired, client).address_checks == "checked"
        workflow.plan_for(desired, client)  # the same client: zone and plane already known
    routes = emulator.stats()["requests"]
    assert [n for route, n in routes.items() if route.endswith("/zones/{zone_id}")] == [1]
    assert routes.get("GET /zones", 0) == 0


def test_without_bgp_prefixes_the_client_reads_the_legacy_status() -> None:
    emulator = make_emulator(byoip_prefixes=("198.51.100.0/24,advertised=no",))
    legacy = _NoBgpPrefixes(emulator.transport())
    with make_client(emulator, transport=legacy) as client:
        plane = client.addresses.plane(emulator.account_id)
    (prefix,) = plane.prefixes
    assert prefix.advertised() is False
    assert legacy.status_reads == 1


class _NoBgpPrefixes(httpx.BaseTransport):
    """An account on the legacy advertisement only: ``bgp/prefixes`` is not served (404)."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner, self.status_reads = inner, 0

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/bgp/prefixes"):
            body = {"success": False, "errors": [{"code": 1000, "message": "not found"}],
                    "messages": [], "result": None}  # fmt: skip
            return httpx.Response(404, json=body)
        self.status_reads += request.url.path.endswith("/bgp/status")
        return self.inner.handle_request(request)


class _RefusingAddressing(httpx.BaseTransport):
    """The API's answer to a token without the account's IP Prefixes permission."""

    def __init__(self, inner: httpx.BaseTransport) -> None:
        self.inner = inner

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if "/addressing/" in request.url.path:
            body = {"success": False, "errors": [{"code": 10000, "message": "Authentication error"}],
                    "messages": [], "result": None}  # fmt: skip
            return httpx.Response(403, json=body)
        return self.inner.handle_request(request)


def _refusing_addressing(inner: httpx.BaseTransport) -> httpx.BaseTransport:
    return _RefusingAddressing(inner)


class TestAddressesCommand:
    def test_it_shows_each_prefix_its_bindings_and_who_uses_which_ip(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator(binding_provisioning_s=3600)
        applied = write(tmp_path / "applied", EVERY_WARNING)
        later = write(tmp_path / "later", [static_app("new", "198.51.100.77"), EVERY_WARNING[1]])
        env = {"CLOUDFLARE_API_TOKEN": TOKEN}
        with loopback(emulator) as url:
            assert run_cli(["apply", *url, "--auto-approve", applied], env=env).exit_code == 0
            as_json = run_cli(["addresses", *url, "--format", "json", later], env=env)
            text = run_cli(["addresses", *url, later], env=env)
        assert as_json.exit_code == text.exit_code == 0, as_json.stderr
        (account,) = json.loads(as_json.stdout)["accounts"]
        prefixes = {p["cidr"]: p for p in account["prefixes"]}
        assert set(prefixes) == {spec.split(",")[0] for spec in PLANE}
        spectrum = prefixes["198.51.100.0/24"]
        assert spectrum["addresses"] == {"total": 256, "used": 2, "free": 254}
        ips = {item["ip"]: item for item in spectrum["ips"]}
        assert ips["198.51.100.10"]["reaches_spectrum"] is True
        ((old,), (new,)) = ips["198.51.100.10"]["apps"], ips["198.51.100.77"]["apps"]
        assert (old["live"], old["declared"]) == (True, False)
        assert (new["live"], new["declared"]) == (False, True)
        (cdn,) = prefixes["203.0.113.0/24"]["ips"]
        assert (cdn["service"], cdn["reaches_spectrum"]) == ("CDN", False)
        assert cdn["apps"][0]["live"] and cdn["apps"][0]["declared"]
        assert prefixes["192.0.2.0/24"]["advertised"] is False
        assert prefixes["100.64.1.0/24"]["approved"] == "P"
        states = {b["cidr"]: b["state"] for b in prefixes["2001:db8::/48"]["bindings"]}
        assert states == {"2001:db8::/48": "active", "2001:db8::/64": "provisioning"}
        assert [(o["ip"], o["in_address_map"]) for o in account["outside_prefixes"]] == [
            ("172.65.64.13", True)
        ]
        assert "172.65.64.13 (in the account's address maps: leased or delegated to it)" in (
            text.stdout
        )
        assert "prefix 203.0.113.0/24 (approved, advertised): 1 in use, 255 of 256 free" in (
            text.stdout
        )
        assert "203.0.113.10: CDN, does NOT reach Spectrum" in text.stdout
        assert "binding 2001:db8::/64 -> Spectrum (provisioning)" in text.stdout


class TestRulesThatMutantsSurvived:
    """Each of these rules could be removed with the whole suite still green."""

    def test_a_recreate_is_checked_like_a_create(self, tmp_path: Path) -> None:
        emulator = plane_emulator()
        with make_client(emulator) as client:
            plan = workflow.plan_for(
                workflow.load([write(tmp_path / "v1", [dynamic_app("a")])]), client
            )
            from reconciler.applying.executor import Executor

            assert Executor(client).apply(plan).complete
            moved = write(tmp_path / "v2", [static_app("a", "100.64.1.10")])  # CNAME -> ADDRESS
            with pytest.raises(AddressRefusedError) as refused:
                workflow.plan_for(workflow.load([moved]), client)
        assert "[prefix_not_approved]" in str(refused.value.problems[0])

    def test_self_heal_checks_the_address_plane_before_writing(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = write(
            tmp_path / "c", [dynamic_app("other"), static_app("unapproved", "100.64.1.10")]
        )
        with loopback(emulator) as url:
            result = run_cli(
                ["reconcile", "--once", "--self-heal", *url, config],
                env={"CLOUDFLARE_API_TOKEN": TOKEN},
            )
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "prefix_not_approved" in result.stderr
        assert live_count(emulator) == 0, "nothing was written"


class TestScope:
    """Checks refuse what will be written (issue 24 item 5): a zone nothing is written to only
    warns, and never stops another zone."""

    def two_zones(self, tmp_path: Path, **com_policy: Any) -> str:
        udp_on_mt = static_app("mt", "100.64.0.10", "udp/53")
        root = tmp_path / "cfg"
        (root / "com").mkdir(parents=True)
        (root / "net").mkdir(parents=True)
        com = {"zone": "example.com", **com_policy, "apps": [udp_on_mt]}
        net_app = {**dynamic_app("web"), "dns": {"type": "CNAME", "name": "web.example.net"}}
        (root / "com" / "apps.yaml").write_text(json.dumps(com))
        (root / "net" / "apps.yaml").write_text(
            json.dumps({"zone": "example.net", "apps": [net_app]})
        )
        return str(root)

    def test_an_observe_zones_refusal_is_a_warning_and_the_other_zone_applies(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = self.two_zones(tmp_path, mode="observe")
        env = {"CLOUDFLARE_API_TOKEN": TOKEN}
        with loopback(emulator) as url:
            result = run_cli(["apply", *url, "--auto-approve", config], env=env)
            plan = run_cli(["plan", *url, "--format", "json", config], env=env)
        assert result.exit_code == 0, result.stdout + result.stderr
        assert live_count(emulator, "example.net") == 1 and live_count(emulator) == 0
        (warning,) = json.loads(plan.stdout)["warnings"]
        assert warning["kind"] == "udp_on_magic_transit" and "not refused" in warning["message"]

    def test_a_frozen_zones_refusal_is_a_warning_and_the_other_zone_applies(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = self.two_zones(tmp_path, freeze={"until": "2999-01-01T00:00:00Z", "reason": "r"})
        with loopback(emulator) as url:
            result = run_cli(
                ["apply", *url, "--auto-approve", config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 3, result.stdout + result.stderr  # the frozen zone is held
        assert live_count(emulator, "example.net") == 1 and live_count(emulator) == 0
        assert "not refused" in result.stdout

    def test_the_zone_that_will_be_written_is_still_refused(self, run_cli, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
        emulator = plane_emulator()
        config = self.two_zones(tmp_path)
        with loopback(emulator) as url:
            result = run_cli(
                ["apply", *url, "--auto-approve", config], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1 and "[udp_on_magic_transit]" in result.stderr
        assert live_count(emulator, "example.net") == 0 and live_count(emulator) == 0

    def test_a_strict_refusal_in_an_observe_zone_says_why_it_is_only_a_warning(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        """As preflight's do: a warning --strict would refuse says its zone is not written."""
        emulator = plane_emulator()
        root = tmp_path / "cfg"
        (root / "com").mkdir(parents=True)
        com = {"zone": "example.com", "mode": "observe", "apps": [static_app("mt", "100.64.0.10")]}
        (root / "com" / "apps.yaml").write_text(json.dumps(com))
        with loopback(emulator) as url:
            plan = run_cli(
                ["plan", "--strict", *url, "--format", "json", str(root)],
                env={"CLOUDFLARE_API_TOKEN": TOKEN},
            )
        assert plan.exit_code == 0, plan.stdout + plan.stderr
        (warning,) = json.loads(plan.stdout)["warnings"]
        assert "not refused: zone example.com is not written to" in warning["message"]

    def test_a_held_zone_does_not_excuse_another_zones_refusal(
        self, run_cli, tmp_path: Path
    ) -> None:  # type: ignore[no-untyped-def]
        """Holding one zone demotes that zone's findings only: the written zone's stay refusals."""
        emulator = plane_emulator()
        root = tmp_path / "cfg"
        udp_on_mt = static_app("mt", "100.64.0.10", "udp/53")
        (root / "com").mkdir(parents=True)
        (root / "net").mkdir(parents=True)
        com = {"zone": "example.com", "mode": "observe", "apps": [udp_on_mt]}
        net_app = {
            **static_app("mt", "100.64.0.11", "udp/53"),
            "dns": {"type": "ADDRESS", "name": "mt.example.net"},
        }
        (root / "com" / "apps.yaml").write_text(json.dumps(com))
        (root / "net" / "apps.yaml").write_text(
            json.dumps({"zone": "example.net", "apps": [net_app]})
        )
        with loopback(emulator) as url:
            result = run_cli(
                ["apply", *url, "--auto-approve", str(root)], env={"CLOUDFLARE_API_TOKEN": TOKEN}
            )
        assert result.exit_code == 1, result.stdout + result.stderr
        assert "[udp_on_magic_transit]" in result.stderr and "mt.example.net" in result.stderr
        assert live_count(emulator, "example.net") == 0 and live_count(emulator) == 0
