"""connect: the token is checked where it is read, before any request is sent."""

from __future__ import annotations

from pathlib import Path

import pytest

from reconciler.emulator import Emulator

CONFIG = """zone: example.com
apps:
  - dns: {type: CNAME, name: ssh.example.com}
    protocol: tcp/22
    origin_direct: ["tcp://192.0.2.1:22"]
"""
BAD_TOKENS = {
    "line break": "first-half-0123456789\nsecond-half-abcdef",
    "space inside": "first-half-0123456789 second-half-abcdef",
    "not ASCII": "first-half-0123456789\u00e9second-half-abcdef",
    "control character": "first-half-0123456789\x07second-half-abcdef",
}


@pytest.mark.parametrize("debug", [[], ["--debug"]], ids=["plain", "debug"])
@pytest.mark.parametrize("problem", list(BAD_TOKENS))
def test_a_malformed_token_is_one_clear_line_and_no_request(
    problem: str, debug: list[str], run_cli, server, emulator: Emulator, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "apps.yaml"
    config.write_text(CONFIG)
    token = BAD_TOKENS[problem]
    result = run_cli(
        ["plan", *debug, "--base-url", server.base_url, str(config)],
        env={"CLOUDFLARE_API_TOKEN": token},
    )
    assert result.exit_code == 1
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert len(errors) == 1, result.stderr
    assert "CLOUDFLARE_API_TOKEN" in errors[0] and problem in errors[0]
    if not debug:
        assert result.stderr.splitlines() == errors
    for piece in ("first-half-0123456789", "second-half-abcdef"):
        assert piece not in result.stderr + result.stdout
    assert "internal error" not in result.stderr
    assert emulator.stats()["total"] == 0, "no request was sent"


def test_surrounding_whitespace_is_not_part_of_the_token(run_cli, server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    config = tmp_path / "apps.yaml"
    config.write_text(CONFIG)
    result = run_cli(
        ["plan", "--base-url", server.base_url, str(config)],
        env={"CLOUDFLARE_API_TOKEN": "  good-token-0123456789\n"},
    )
    assert result.exit_code == 0, result.stderr
