"""The API client against the emulator: complete reads, safe retries, clear errors, no token."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import httpx
import pytest

from reconciler.emulator import Emulator, serve
from reconciler.errors import (
    ApiError,
    AuthError,
    NotFoundError,
    RefusedError,
    TransportError,
    UnclearWriteError,
)
from reconciler.live.cloudflare import CloudflareClient, Token, check_base_url
from reconciler.model import AppKey, ZoneSpec
from tests.conftest import client_in_virtual_time, make_client, make_emulator

ZONE = ZoneSpec(name="example.com", zone_id=None)


def app_body(index: int, zone: str = "example.com") -> dict[str, Any]:
    return {
        "dns": {"type": "CNAME", "name": f"app{index:04d}.{zone}"},
        "protocol": f"tcp/{1000 + index}",
        "origin_direct": [f"tcp://192.0.2.{index % 250 + 1}:{1000 + index}"],
    }


def seed_apps(emulator: Emulator, count: int, zone: str = "example.com") -> str:
    zone_id = str(emulator.ensure_zone(zone)["id"])
    with make_client(emulator) as writer:
        for i in range(count):
            writer.create_app(zone_id, key_of(app_body(i, zone), zone), app_body(i, zone))
    return zone_id


def key_of(body: dict[str, Any], zone: str = "example.com") -> AppKey:
    return AppKey.of(zone, body["dns"]["name"], body["protocol"])


def requests_by_route(emulator: Emulator) -> dict[str, int]:
    return dict(emulator.stats()["requests"])


class TestReads:
    def test_listing_follows_every_page_and_returns_each_app_once(self, emulator: Emulator) -> None:
        seed_apps(emulator, 250)
        emulator.reset_stats()
        with make_client(emulator) as client:
            (zone,) = client.fetch_live([ZONE])
        ids = [app.app_id for app in zone.apps]
        assert len(ids) == 250 == len(set(ids))
        routes = requests_by_route(emulator)
        assert routes["GET /zones"] == 1
        assert routes["GET /zones/{zone_id}/spectrum/apps"] == 3  # ceil(250 / 100)

    def test_an_empty_zone_costs_one_lookup_and_one_page(self, emulator: Emulator) -> None:
        with make_client(emulator) as client:
            (zone,) = client.fetch_live([ZONE])
        assert zone.apps == ()
        assert emulator.stats()["total"] == 2

    def test_zone_lookups_are_cached_for_the_run(self, emulator: Emulator) -> None:
        with make_client(emulator) as client:
            first = client.resolve_zone(ZONE)
            second = client.resolve_zone(ZONE)
        assert first == second
        assert requests_by_route(emulator)["GET /zones"] == 1

    def test_a_zone_given_by_id_and_name_needs_no_lookup(self, emulator: Emulator) -> None:
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        with make_client(emulator) as client:
            client.fetch_live([ZoneSpec(name="example.com", zone_id=zone_id)])
        assert "GET /zones" not in requests_by_route(emulator)

    def test_an_unknown_zone_is_an_error_not_an_empty_zone(self, emulator: Emulator) -> None:
        with make_client(emulator) as client, pytest.raises(NotFoundError, match="no zone named"):
            client.fetch_live([ZoneSpec(name="missing.example", zone_id=None)])

    @pytest.mark.parametrize("seed", range(5))
    def test_reads_under_a_30_percent_fault_rate_are_complete_and_exact(
        self, seed: int, tmp_path: Path
    ) -> None:
        state = tmp_path / "state.json"
        clean = make_emulator(state_file=str(state))
        seed_apps(clean, 230)
        clean.close()  # releases the state file for the next emulator
        faulty = make_emulator(fault_rate=0.3, seed=seed, state_file=str(state))
        with make_client(faulty) as client:
            (zone,) = client.fetch_live([ZONE])
        assert sorted(a.app_id for a in zone.apps) == sorted(
            a["id"] for a in clean.apps(zone.zone_id)
        )
        assert faulty.stats()["faults"] > 0

    def test_a_listing_that_never_completes_fails_the_run(self, emulator: Emulator) -> None:
        seed_apps(emulator, 120)
        zone_id = str(emulator.ensure_zone("example.com")["id"])

        def truncate(request: httpx.Request) -> httpx.Response:
            response = emulator.transport().handle_request(request)
            if "page=2" in str(request.url):
                response.read()
                body = response.json()
                body["result"] = []
                return httpx.Response(200, json=body)
            return response

        with make_client(emulator, transport=httpx.MockTransport(truncate)) as client:
            with pytest.raises(TransportError, match="listing incomplete: 100 of 120"):
                client.list_apps(zone_id)

    def test_a_page_that_says_success_false_fails_the_run(self, emulator: Emulator) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            failure = {
                "success": False,
                "errors": [{"code": 10002, "message": "x"}],
                "result": None,
            }
            return httpx.Response(200, json=failure)

        with make_client(emulator, transport=httpx.MockTransport(refuse)) as client:
            with pytest.raises(ApiError, match="10002"):
                client.list_apps("0" * 32)

    def test_prefixes_of_the_account_are_listed(self, emulator: Emulator) -> None:
        with make_client(emulator) as client:
            prefixes = client.list_prefixes(emulator.account_id)
        assert {p["cidr"] for p in prefixes} == {
            "198.51.100.0/24",
            "203.0.113.0/24",
            "2001:db8::/48",
        }


class TestWrites:
    @pytest.mark.parametrize("seed", range(6))
    def test_a_lost_create_response_never_becomes_two_apps(self, seed: int) -> None:
        emulator = make_emulator(fault_rate=0.4, seed=seed)
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        with client_in_virtual_time(emulator) as client:
            for i in range(25):
                client.create_app(zone_id, key_of(app_body(i)), app_body(i))
        names = Counter((a["dns"]["name"], a["protocol"]) for a in emulator.apps(zone_id))
        assert len(names) == 25 and max(names.values()) == 1
        assert emulator.stats()["faults"] > 0

    def test_a_refusal_is_not_retried_and_carries_cloudflares_code(
        self, emulator: Emulator
    ) -> None:
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        both_origins = {**app_body(1), "origin_dns": {"name": "origin.example.com"}}
        emulator.reset_stats()
        with make_client(emulator) as client, pytest.raises(RefusedError) as refused:
            client.create_app(zone_id, key_of(both_origins), both_origins)
        assert 11000 in refused.value.codes
        assert f"POST /zones/{zone_id}/spectrum/apps" in str(refused.value)
        assert emulator.stats()["total"] == 1

    def test_update_and_delete_round_trip(self, emulator: Emulator) -> None:
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        with make_client(emulator) as client:
            created = client.create_app(zone_id, key_of(app_body(1)), app_body(1))
            updated = client.update_app(zone_id, created["id"], {**app_body(1), "tls": "full"})
            assert updated["tls"] == "full"
            client.delete_app(zone_id, created["id"])
        assert emulator.apps(zone_id) == []

    def test_429_waits_for_retry_after_then_succeeds(self, emulator: Emulator) -> None:
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        inner = emulator.transport()
        refusals = []

        def busy_twice(request: httpx.Request) -> httpx.Response:
            if len(refusals) < 2:
                refusals.append(request.method)
                error = {
                    "success": False,
                    "errors": [{"code": 971, "message": "wait"}],
                    "result": None,
                }
                return httpx.Response(429, json=error, headers={"Retry-After": "1"})
            return inner.handle_request(request)

        busy = httpx.MockTransport(busy_twice)
        with client_in_virtual_time(emulator, transport=busy) as client:
            client.create_app(zone_id, key_of(app_body(1)), app_body(1))
            waited = client.limiter.waited
        assert refusals == ["POST", "POST"]  # a 429 was not processed: the create may repeat
        assert len(emulator.apps(zone_id)) == 1
        assert waited >= 1.9  # it waited as told (1 s, twice) instead of hammering

    def test_a_shared_budget_is_respected_from_the_ratelimit_header(self) -> None:
        emulator = make_emulator(rate_limit=(4, 1.0))
        zone_id = str(emulator.ensure_zone("example.com")["id"])
        with make_client(emulator) as client:
            for i in range(8):
                client.create_app(zone_id, key_of(app_body(i)), app_body(i))
        assert len(emulator.apps(zone_id)) == 8
        assert emulator.stats()["rate_limited"] == 0  # the header said "none left": it paused first


class TestErrorsAndSecrets:
    def test_a_refused_token_is_an_auth_error_that_names_what_to_do(self) -> None:
        emulator = make_emulator(token="the-right-token")
        with make_client(emulator) as client, pytest.raises(AuthError) as refused:
            client.fetch_live([ZONE])
        assert "10000" in str(refused.value) and "CLOUDFLARE_API_TOKEN" in str(refused.value)
        assert emulator.stats()["total"] == 1  # an auth failure is not retried

    def test_the_token_never_appears_in_reprs_or_errors(self) -> None:
        emulator = make_emulator(token="the-right-token")
        client = CloudflareClient(
            "sekrit-token-123",
            base_url="https://x.invalid/client/v4",
            transport=emulator.transport(),
        )
        with client, pytest.raises(AuthError) as refused:
            client.fetch_live([ZONE])
        for text in (
            repr(client),
            str(refused.value),
            repr(refused.value),
            repr(Token("sekrit-token-123")),
        ):
            assert "sekrit-token-123" not in text

    @pytest.mark.parametrize(
        ("url", "ok"),
        [
            ("https://api.cloudflare.com/client/v4", True),
            ("http://127.0.0.1:8787/client/v4", True),
            ("http://localhost:8787/client/v4", True),
            ("http://[::1]:8787/client/v4", True),
            ("http://api.example.com/client/v4", False),
            ("http://10.0.0.1/client/v4", False),
            ("ftp://127.0.0.1/", False),
        ],
    )
    def test_plain_http_is_refused_except_on_loopback(self, url: str, ok: bool) -> None:
        if ok:
            assert check_base_url(url) == url
        else:
            with pytest.raises(ApiError, match="https"):
                check_base_url(url)

    def test_a_server_that_is_gone_is_a_transport_error_after_retries(self) -> None:
        emulator = make_emulator()
        with serve(emulator, host="127.0.0.1", port=0) as running:
            base_url = running.base_url
        with make_client(emulator, base_url=base_url, transport=None) as client:
            with pytest.raises(TransportError, match="no response"):
                client.fetch_live([ZONE])


class TestOverLoopback:
    def test_pagination_over_a_real_socket(self, emulator: Emulator) -> None:
        seed_apps(emulator, 130)
        with serve(emulator, host="127.0.0.1", port=0) as running:
            with make_client(emulator, base_url=running.base_url, transport=None) as client:
                (zone,) = client.fetch_live([ZONE])
        assert len({a.app_id for a in zone.apps}) == 130

    def test_dropped_connections_over_a_real_socket_are_retried(self) -> None:
        emulator = make_emulator(fault_rate=0.3, seed=3)
        with serve(emulator, host="127.0.0.1", port=0) as running:
            with make_client(emulator, base_url=running.base_url, transport=None) as client:
                zone_id = client.resolve_zone(ZONE).zone_id
                for i in range(10):
                    client.create_app(zone_id, key_of(app_body(i)), app_body(i))
                (zone,) = client.fetch_live([ZONE])
        assert len(zone.apps) == 10


def test_the_observer_hears_every_exchange_with_status_and_cloudflare_codes() -> None:
    heard: list[tuple[str, int, tuple[int, ...]]] = []
    emulator = make_emulator()
    with make_client(emulator, observer=lambda *exchange: heard.append(exchange)) as client:
        client.fetch_live([ZoneSpec(name="example.com", zone_id=None)])
        with pytest.raises(RefusedError):
            client.fetch_live([ZoneSpec(name=None, zone_id="0" * 32)])
    assert heard == [("GET", 200, ()), ("GET", 200, ()), ("GET", 400, (7003, 7000))]


def rewrite_pages(emulator: Emulator, change: Any) -> httpx.MockTransport:
    """The emulator's transport, each app-list page's JSON passed through ``change``."""
    inner = emulator.transport()

    def handle(request: httpx.Request) -> httpx.Response:
        response = inner.handle_request(request)
        if request.method != "GET" or not request.url.path.endswith("/spectrum/apps"):
            return response
        response.read()
        body = change(request, response.json())
        return httpx.Response(response.status_code, json=body)

    return httpx.MockTransport(handle)


class TestPagination:
    """Pages that lie, repeat or shift: the read ends, and it is exact or it fails."""

    def test_a_server_that_ignores_page_is_detected_not_looped_on(self, emulator: Emulator) -> None:
        zone_id = seed_apps(emulator, 150)

        def always_page_one(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            first = emulator.transport().handle_request(
                httpx.Request(
                    "GET", str(request.url.copy_remove_param("page")), headers=request.headers
                )
            )
            first.read()
            body = first.json()
            body["result_info"].pop("total_pages")
            return body

        with make_client(emulator, transport=rewrite_pages(emulator, always_page_one)) as client:
            with pytest.raises(TransportError, match=r"page 2 .*already"):
                client.list_apps(zone_id)
            assert client.requests_sent == 2

    def test_without_any_totals_a_repeating_server_is_detected(self, emulator: Emulator) -> None:
        zone_id = seed_apps(emulator, 100)

        def no_totals(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            first = emulator.transport().handle_request(
                httpx.Request(
                    "GET", str(request.url.copy_remove_param("page")), headers=request.headers
                )
            )
            first.read()
            return {**first.json(), "result_info": {}}

        with make_client(emulator, transport=rewrite_pages(emulator, no_totals)) as client:
            with pytest.raises(TransportError, match="already"):
                client.list_apps(zone_id)

    def test_without_total_pages_the_read_stops_at_total_count(self, emulator: Emulator) -> None:
        zone_id = seed_apps(emulator, 200)

        def no_total_pages(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            body["result_info"].pop("total_pages")
            return body

        with make_client(emulator, transport=rewrite_pages(emulator, no_total_pages)) as client:
            assert len(client.list_apps(zone_id)) == 200
            assert client.requests_sent == 2  # not a third, empty page

    def test_pages_are_capped(self, emulator: Emulator, monkeypatch: pytest.MonkeyPatch) -> None:
        from reconciler.live.cloudflare import listing

        monkeypatch.setattr(listing, "MAX_PAGES", 3)
        zone_id = seed_apps(emulator, 10)
        counter = iter(range(10**6))

        def endless(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            fresh = [{**app_body(0), "id": f"{next(counter):032x}"} for _ in range(100)]
            return {**body, "result": fresh, "result_info": {}}

        with make_client(emulator, transport=rewrite_pages(emulator, endless)) as client:
            with pytest.raises(TransportError, match="more than 3 pages"):
                client.list_apps(zone_id)
            assert client.requests_sent == 3

    @pytest.mark.parametrize("change", ["delete", "create"])
    def test_a_listing_that_shifts_while_read_is_read_again(
        self, change: str, emulator: Emulator
    ) -> None:
        """An app deleted (or one created before it) while page 2 is pending moves an app
        across the page boundary; the read must not return the deleted app nor miss one."""
        zone_id = seed_apps(emulator, 150)
        done: list[bool] = []

        def shift_after_page_one(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            if request.url.params.get("page") == "1" and not done:
                done.append(True)
                with make_client(emulator) as other:
                    if change == "delete":
                        other.delete_app(zone_id, body["result"][0]["id"])
                    else:
                        early = {
                            **app_body(9999),
                            "dns": {"type": "CNAME", "name": "a.example.com"},
                        }
                        other.create_app(zone_id, key_of(early), early)
            return body

        with make_client(emulator, transport=rewrite_pages(emulator, shift_after_page_one)) as c:
            listed = sorted(app.app_id for app in c.list_apps(zone_id))
        assert listed == sorted(app["id"] for app in emulator.apps(zone_id))


class TestSettlingReads:
    def test_a_lost_create_is_settled_while_another_worker_creates_in_the_zone(
        self, emulator: Emulator
    ) -> None:
        """The read that settles a lost create is retried when the zone shifts under it."""
        zone_id = seed_apps(emulator, 150)
        inner = emulator.transport()
        ours = app_body(500)
        state = {"lost": False, "shifted": False}

        def handle(request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and not state["lost"]:
                state["lost"] = True
                inner.handle_request(request)  # committed, but the answer is lost
                raise httpx.RemoteProtocolError("Server disconnected", request=request)
            response = inner.handle_request(request)
            if state["lost"] and not state["shifted"] and request.method == "GET":
                state["shifted"] = True  # another worker creates an app that sorts first
                early = {**app_body(9999), "dns": {"type": "CNAME", "name": "a.example.com"}}
                with make_client(emulator) as other:
                    other.create_app(zone_id, key_of(early), early)
            return response

        with make_client(emulator, transport=httpx.MockTransport(handle)) as client:
            created = client.create_app(zone_id, key_of(ours), ours)
        assert created["dns"]["name"] == ours["dns"]["name"]
        names = [app["dns"]["name"] for app in emulator.apps(zone_id)]
        assert names.count(ours["dns"]["name"]) == 1

    @pytest.mark.parametrize("commits", [True, False], ids=["committed", "never-done"])
    def test_a_delete_failing_every_retry_is_settled_by_reading_the_zone(
        self, commits: bool, emulator: Emulator
    ) -> None:
        """Gone after the errors: deleted, and the error is returned; still there: intact."""
        zone_id = seed_apps(emulator, 2)
        doomed = emulator.apps(zone_id)[0]["id"]
        inner = emulator.transport()

        def handle(request: httpx.Request) -> httpx.Response:
            if request.method != "DELETE":
                return inner.handle_request(request)
            if commits:
                inner.handle_request(request)  # the first one commits; every answer is lost
            error = {"success": False, "errors": [{"code": 10002, "message": "x"}], "result": None}
            return httpx.Response(503, json=error)

        with make_client(emulator, transport=httpx.MockTransport(handle)) as client:
            if commits:
                settled = client.delete_app(zone_id, doomed)
                assert isinstance(settled, TransportError) and settled.codes == (10002,)
            else:
                with pytest.raises(UnclearWriteError, match="still there, intact") as raised:
                    client.delete_app(zone_id, doomed)
                assert raised.value.known and raised.value.codes == (10002,)
        still_there = doomed in [app["id"] for app in emulator.apps(zone_id)]
        assert still_there is not commits and len(emulator.apps(zone_id)) == (1 if commits else 2)

    def test_a_delete_whose_settling_read_fails_too_is_unknown(self, emulator: Emulator) -> None:
        zone_id = seed_apps(emulator, 1)
        (app,) = emulator.apps(zone_id)

        def down(request: httpx.Request) -> httpx.Response:
            error = {"success": False, "errors": [{"code": 10002, "message": "x"}], "result": None}
            return httpx.Response(503, json=error)

        with make_client(emulator, transport=httpx.MockTransport(down)) as client:
            with pytest.raises(UnclearWriteError, match="unknown: reading the zone failed") as e:
                client.delete_app(zone_id, app["id"])
        assert not e.value.known and str(e.value).startswith(f"DELETE /zones/{zone_id}")


class TestMalformedAnswers:
    """A value the server sends that is not what the API documents is a located API error, never
    a crash: the listing is read again (reads are safe to repeat), then the run fails cleanly."""

    @pytest.mark.parametrize(
        ("field", "value"),
        [
            ("total_pages", "x"),
            ("total_pages", -1),
            ("total_count", "abc"),
            ("total_count", True),
            ("per_page", "abc"),
            ("per_page", 0),
        ],
    )
    def test_a_result_info_count_that_is_no_count(
        self, emulator: Emulator, field: str, value: Any
    ) -> None:
        zone_id = seed_apps(emulator, 3)

        def spoil(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            if field == "per_page":
                body["result_info"].pop("total_pages")
                body["result_info"].pop("total_count")
            body["result_info"][field] = value
            return body

        with make_client(emulator, transport=rewrite_pages(emulator, spoil)) as client:
            with pytest.raises(TransportError) as raised:
                client.list_apps(zone_id)
            assert client.requests_sent == 3  # read again, then refused
        message = str(raised.value)
        assert (
            "the API answered an unexpected shape" in message and f"result_info.{field}" in message
        )

    @pytest.mark.parametrize("info", ["x", [1], 7])
    def test_a_result_info_that_is_no_object(self, emulator: Emulator, info: Any) -> None:
        zone_id = seed_apps(emulator, 3)

        def spoil(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            return {**body, "result_info": info}

        with make_client(emulator, transport=rewrite_pages(emulator, spoil)) as client:
            with pytest.raises(TransportError, match="unexpected shape"):
                client.list_apps(zone_id)

    @pytest.mark.parametrize(
        "errors", [[{"code": "abc", "message": "no"}], "abc", 7, [{"code": None}]]
    )
    def test_an_error_code_that_is_no_number_is_still_the_api_refusing(
        self, emulator: Emulator, errors: Any
    ) -> None:
        def refuse(request: httpx.Request) -> httpx.Response:
            return httpx.Response(400, json={"success": False, "errors": errors, "result": None})

        with make_client(emulator, transport=httpx.MockTransport(refuse)) as client:
            with pytest.raises(RefusedError) as raised:
                client.list_apps("0" * 32)
        assert "Traceback" not in str(raised.value)

    @pytest.mark.parametrize(
        ("change", "said"),
        [
            ({"dns": "x"}, "dns 'x', not an object"),
            ({"dns": {"type": "CNAME", "name": 7}}, "dns.name 7, not a string"),
            ({"protocol": 5}, "protocol 5, not a string"),
            ({"protocol": ""}, "protocol '', not a string"),
            ({"edge_ips": "x"}, "edge_ips 'x', not an object"),
            ({"origin_dns": ["x"]}, "origin_dns ['x'], not an object"),
        ],
    )
    def test_an_app_whose_identity_or_objects_cannot_be_read_fails_the_read(
        self, emulator: Emulator, change: dict[str, Any], said: str
    ) -> None:
        """Read as it came, such an app would be planned as undeclared: deleted."""
        zone_id = seed_apps(emulator, 2)

        def spoil(request: httpx.Request, body: dict[str, Any]) -> dict[str, Any]:
            body["result"][0].update(change)
            return body

        with make_client(emulator, transport=rewrite_pages(emulator, spoil)) as client:
            with pytest.raises(TransportError) as raised:
                client.list_apps(zone_id)
        assert "unexpected shape" in str(raised.value) and said in str(raised.value)
