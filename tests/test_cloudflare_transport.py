"""The client's retry loop as a user meets it (issue 15): retries are announced, failures no retry
can fix end at once, Ctrl-C ends every wait, and a wrong base URL is named as one."""

from __future__ import annotations

import io
import re
import socket
import ssl
import threading
from collections.abc import Callable

import httpx
import pytest

from reconciler.errors import ApiError, NotFoundError, TransportError
from reconciler.live.cloudflare import CloudflareClient, RetryPolicy
from reconciler.live.retrynotice import RetryNotices
from reconciler.model import ZoneSpec
from tests.conftest import make_client

ZONE = ZoneSpec(name="example.com", zone_id=None)
POLICY = RetryPolicy(attempts=4, backoff_base=0.001, backoff_cap=0.002)


def failing(error: Callable[[httpx.Request], Exception]) -> tuple[httpx.MockTransport, list[int]]:
    sent: list[int] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(1)
        raise error(request)

    return httpx.MockTransport(handler), sent


def refused(request: httpx.Request) -> Exception:
    try:
        raise ConnectionRefusedError(111, "Connection refused")
    except ConnectionRefusedError as cause:
        try:
            raise httpx.ConnectError("[Errno 111] Connection refused", request=request) from cause
        except httpx.ConnectError as error:
            return error


def client_for(transport: httpx.BaseTransport, base_url: str, **extra: object) -> CloudflareClient:
    return CloudflareClient(
        "test-token",
        base_url=base_url,
        transport=transport,
        retry=POLICY,
        **extra,  # type: ignore[arg-type]
    )


# --- retries are announced ---------------------------------------------------------------


def test_every_retry_is_announced_with_its_number() -> None:
    transport, sent = failing(lambda r: httpx.ReadTimeout("timed out", request=r))
    lines: list[str] = []
    with client_for(transport, "https://api.example.test/client/v4", on_retry=lines.append) as c:
        with pytest.raises(TransportError):
            c.fetch_live([ZONE])
    assert len(sent) == 4
    assert [line.split(" GET")[0] for line in lines] == [
        "retrying (1/3)",
        "retrying (2/3)",
        "retrying (3/3)",
    ]
    assert "GET /zones" in lines[0] and "ReadTimeout" in lines[0]


def test_notices_are_rate_limited() -> None:
    now = [0.0]
    out = io.StringIO()
    notices = RetryNotices(out, interval=2.0, clock=lambda: now[0])
    for second in (0.0, 0.5, 1.0, 1.5, 2.5, 2.6):
        now[0] = second
        notices(f"retrying at {second}")
    assert out.getvalue().splitlines() == ["retrying at 0.0", "retrying at 2.5"]


def test_a_notice_says_how_many_requests_are_retrying() -> None:
    both_failed = threading.Barrier(2, timeout=5)

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("page") == "1":
            both_failed.wait()  # the two zone reads fail together, then retry together
        return httpx.Response(503)

    lines: list[str] = []
    zones = [ZoneSpec("a.example", "a" * 32), ZoneSpec("b.example", "b" * 32)]
    transport = httpx.MockTransport(handler)
    with client_for(transport, "https://api.example.test/client/v4", on_retry=lines.append) as c:
        with pytest.raises(TransportError):
            c.fetch_live(zones)
    assert any(line.endswith("; 2 requests are retrying") for line in lines)
    assert not any("more)" in line for line in lines)


def test_a_single_request_retrying_says_nothing_of_others() -> None:
    transport, _sent = failing(lambda r: httpx.ReadTimeout("timed out", request=r))
    lines: list[str] = []
    with client_for(transport, "https://api.example.test/client/v4", on_retry=lines.append) as c:
        with pytest.raises(TransportError):
            c.fetch_live([ZONE])
    assert lines and not any("requests are retrying" in line for line in lines)


def test_a_notice_never_carries_the_token(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "s3cret-token-value-1234567890"
    monkeypatch.setenv("CLOUDFLARE_API_TOKEN", secret)
    out = io.StringIO()
    RetryNotices(out)(f"retrying: Bearer {secret}")
    assert secret not in out.getvalue()


def test_with_json_lines_a_notice_is_a_json_warning() -> None:
    import json

    from reconciler.logs import configure_logging

    out = io.StringIO()
    configure_logging(verbose=False, debug=False, json_lines=True)
    try:
        RetryNotices(out)("retrying (1/4) GET /zones: connection refused")
    finally:
        configure_logging(verbose=False, debug=False)
    record = json.loads(out.getvalue())
    assert record["level"] == "warning" and record["message"].startswith("retrying (1/4)")


# --- failures no retry can fix end at once ------------------------------------------------


def test_nothing_listening_on_loopback_fails_on_the_first_attempt() -> None:
    transport, sent = failing(refused)
    with client_for(transport, "http://127.0.0.1:8787/client/v4") as client:
        with pytest.raises(
            TransportError, match=re.escape("nothing is listening at http://127.0.0.1:8787")
        ):
            client.fetch_live([ZONE])
    assert len(sent) == 1


def test_a_refused_connection_to_a_remote_host_is_still_retried() -> None:
    transport, sent = failing(refused)
    with client_for(transport, "https://api.example.test/client/v4") as client:
        with pytest.raises(TransportError):
            client.fetch_live([ZONE])
    assert len(sent) == POLICY.attempts


def test_a_real_refused_loopback_port_fails_fast() -> None:
    with socket.socket() as probe:  # a port that was free a moment ago: nothing listens there
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with CloudflareClient("t", base_url=f"http://127.0.0.1:{port}/client/v4", retry=POLICY) as c:
        with pytest.raises(TransportError, match="nothing is listening"):
            c.fetch_live([ZONE])
        assert c.requests_sent == 1


def tls_failure(request: httpx.Request) -> Exception:
    try:
        raise ssl.SSLCertVerificationError(1, "certificate verify failed")
    except ssl.SSLError as cause:
        try:
            raise httpx.ConnectError("certificate verify failed", request=request) from cause
        except httpx.ConnectError as error:
            return error


def unresolvable(code: int) -> Callable[[httpx.Request], Exception]:
    def error(request: httpx.Request) -> Exception:
        try:
            raise socket.gaierror(code, "Name or service not known")
        except socket.gaierror as cause:
            try:
                raise httpx.ConnectError(str(cause), request=request) from cause
            except httpx.ConnectError as raised:
                return raised

    return error


def test_a_host_that_does_not_resolve_fails_on_the_first_attempt() -> None:
    transport, sent = failing(unresolvable(socket.EAI_NONAME))
    with client_for(transport, "https://api.example.test/client/v4") as client:
        with pytest.raises(TransportError, match=re.escape("api.example.test does not resolve")):
            client.fetch_live([ZONE])
    assert len(sent) == 1


def test_a_temporary_dns_failure_is_retried() -> None:
    transport, sent = failing(unresolvable(socket.EAI_AGAIN))
    with client_for(transport, "https://api.example.test/client/v4") as client:
        with pytest.raises(TransportError):
            client.fetch_live([ZONE])
    assert len(sent) == POLICY.attempts


def test_a_tls_failure_is_not_retried() -> None:
    transport, sent = failing(tls_failure)
    with client_for(transport, "https://api.example.test/client/v4") as client:
        with pytest.raises(TransportError, match=re.escape("TLS with https://api.example.test")):
            client.fetch_live([ZONE])
    assert len(sent) == 1


def test_a_header_httpx_cannot_send_is_not_retried() -> None:
    transport, sent = failing(lambda r: httpx.LocalProtocolError("Illegal header value"))
    with client_for(transport, "https://api.example.test/client/v4") as client:
        with pytest.raises(TransportError, match="CLOUDFLARE_API_TOKEN"):
            client.fetch_live([ZONE])
    assert len(sent) == 1


# --- Ctrl-C ---------------------------------------------------------------------------------


def test_cancel_ends_a_backoff_at_once_and_sends_nothing_more() -> None:
    slow = RetryPolicy(attempts=8, backoff_base=30.0, backoff_cap=30.0)  # 30 s waits
    transport, sent = failing(lambda r: httpx.ReadTimeout("timed out", request=r))
    holder: list[CloudflareClient] = []
    client = CloudflareClient(
        "t",
        base_url="https://api.example.test/client/v4",
        transport=transport,
        retry=slow,
        on_retry=lambda _line: holder[0].cancel(),  # Ctrl-C arrives during the first wait
    )
    holder.append(client)
    with client, pytest.raises(TransportError, match="cancelled"):
        client.fetch_live([ZONE])
    assert len(sent) == 1


def test_a_request_cut_off_by_ctrl_c_is_not_retried_nor_announced() -> None:
    holder: list[CloudflareClient] = []

    def handler(request: httpx.Request) -> httpx.Response:
        holder[0].cancel()  # Ctrl-C while this request is in flight: its connection is closed
        raise httpx.ReadError("[Errno 9] Bad file descriptor", request=request)

    lines: list[str] = []
    client = client_for(
        httpx.MockTransport(handler), "https://api.example.test/client/v4", on_retry=lines.append
    )
    holder.append(client)
    with client, pytest.raises(TransportError, match="cancelled"):
        client.fetch_live([ZONE])
    assert lines == []


def test_ctrl_c_while_zones_are_read_cancels_the_other_readers() -> None:
    slow = RetryPolicy(attempts=8, backoff_base=30.0, backoff_cap=30.0)
    waiting = threading.Event()

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.params.get("name") == "a.example":
            waiting.wait(5)  # the other reader is in its backoff by now
            raise KeyboardInterrupt  # as SIGINT lands in the main thread, reaching fetch_live
        raise httpx.ReadTimeout("timed out", request=request)

    client = CloudflareClient(
        "t",
        base_url="https://api.example.test/client/v4",
        transport=httpx.MockTransport(handler),
        retry=slow,
        on_retry=lambda _line: waiting.set(),
    )
    zones = [ZoneSpec("a.example", None), ZoneSpec("b.example", None)]
    with client, pytest.raises(KeyboardInterrupt):
        client.fetch_live(zones)
    with pytest.raises(TransportError, match="cancelled"):
        client.fetch_live([ZoneSpec("c.example", None)])  # the cancel holds: nothing more is sent


# --- a wrong base URL, and "HTTP 200" that is not success -----------------------------------


def test_no_route_on_zones_names_the_base_url(emulator) -> None:  # type: ignore[no-untyped-def]
    with make_client(emulator, base_url="https://sandbox.example.test") as client:  # no /client/v4
        with pytest.raises(ApiError) as raised:
            client.fetch_live([ZONE])
    message = str(raised.value)
    assert "7003" in message and "base URL looks wrong: it must end in /client/v4" in message
    assert "app definition" not in message


def test_an_unknown_zone_does_not_read_like_success(emulator) -> None:  # type: ignore[no-untyped-def]
    with make_client(emulator) as client:
        with pytest.raises(NotFoundError) as raised:
            client.fetch_live([ZoneSpec("missing.example", None)])
    assert str(raised.value).startswith("GET /zones: no zone named missing.example")
    assert "HTTP 200" not in str(raised.value)


@pytest.mark.parametrize(
    "token", ["good-part\nSECRETTAIL", "good-part\x00SECRETTAIL", "tökenSECRETTAIL"]
)
def test_a_token_that_cannot_be_a_header_fails_once_without_quoting_it(
    server,
    token: str,  # type: ignore[no-untyped-def]
) -> None:
    with CloudflareClient(token, base_url=server.base_url, retry=POLICY) as client:
        with pytest.raises(TransportError) as raised:
            client.fetch_live([ZONE])
        assert client.requests_sent == 1
    assert "SECRETTAIL" not in str(raised.value) and "CLOUDFLARE_API_TOKEN" in str(raised.value)


def test_cancel_releases_a_request_waiting_for_the_rate_limit(emulator) -> None:  # type: ignore[no-untyped-def]
    from reconciler.live.ratelimit import RateLimit

    client = make_client(emulator, rate_limit=RateLimit(2, 3600.0), sleep=None)  # 2 an hour
    client.fetch_live([ZONE])  # the hour's two requests: the zone lookup and its one page
    outcome: list[BaseException] = []

    def second_read() -> None:
        try:
            client.fetch_live([ZoneSpec("example.net", None)])
        except BaseException as error:
            outcome.append(error)

    reader = threading.Thread(target=second_read)
    reader.start()
    while client.limiter.waited == 0:  # the reader is now waiting for a slot
        threading.Event().wait(0.01)
    client.cancel()
    reader.join(timeout=60)  # a liveness bound, not a speed target: without cancel, an hour
    assert not reader.is_alive()
    assert isinstance(outcome[0], TransportError) and "cancelled" in str(outcome[0])
    client.close()


def test_a_long_wait_for_the_rate_limit_is_one_line_saying_how_long() -> None:
    from reconciler.live.retrynotice import RateLimitWaits

    out = io.StringIO()
    RateLimitWaits(out)(289.3)
    assert out.getvalue() == "waiting for the rate limit, about 290 s\n"


def test_the_client_tells_of_a_long_wait_for_the_rate_limit(emulator) -> None:  # type: ignore[no-untyped-def]
    from reconciler.live.ratelimit import RateLimit

    told: list[float] = []
    with make_client(emulator, rate_limit=RateLimit(2, 3.0), sleep=None, on_wait=told.append) as c:
        c.fetch_live([ZONE])  # the lookup and the page fill the window
        c.fetch_live([ZoneSpec("example.net", None)])
    assert len(told) == 1 and 2.0 < told[0] <= 4.0
