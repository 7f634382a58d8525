"""Hostile desired-state files — random bytes, deep nesting, huge scalars, alias bombs, a wrong
type at every field — through validate, plan --sandbox and diff: never a traceback, exit 0/1/2
only, every problem on a located ``file:line:col:`` line, bounded time and memory."""

from __future__ import annotations

import re
import time
import tracemalloc
from typing import Any

import pytest
import yaml
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from reliability_helpers import SCALE, app_config

from reconciler.cli import cli

pytestmark = pytest.mark.reliability

MAX_PEAK_MB = 64  # per input, traced Python allocations
MAX_SECONDS = 20  # per input; loose: the machine is shared
VALID = {"zone": "example.com", "apps": [app_config(0), app_config(3), app_config(1)]}
LOCATED = re.compile(r"^(?P<file>.+?):(?P<line>\d+):(?P<col>\d+): \S")


def dumped(document: Any) -> str:
    return yaml.safe_dump(document, sort_keys=False)


def field_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [path] if path else []
    if isinstance(value, dict):
        for key, item in value.items():
            found += field_paths(item, (*path, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += field_paths(item, (*path, index))
    return found


FIELDS = field_paths(VALID)
WRONG_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=True),
    st.text(max_size=30),
    st.lists(st.integers(), max_size=3),
    st.dictionaries(st.text(max_size=5), st.integers(), max_size=3),
)


@st.composite
def wrong_type_somewhere(draw: st.DrawFn) -> str:
    import copy

    document: Any = copy.deepcopy(VALID)
    path = draw(st.sampled_from(FIELDS))
    target = document
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = draw(WRONG_VALUES)
    return dumped(document)


def deep_nesting(depth: int) -> str:
    return "zone: example.com\napps:\n  - dns: " + "[" * depth + "]" * depth + "\n"


def alias_bomb(levels: int) -> str:
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        refs = ",".join([f"*a{i - 1}"] * 9)
        lines.append(f"a{i}: &a{i} [{refs}]")
    return "\n".join(lines) + f"\nzone: example.com\napps: *a{levels - 1}\n"


HOSTILE = st.one_of(
    st.binary(max_size=400).map(lambda b: b.decode("latin-1")),
    st.text(max_size=400),
    st.integers(10, 5000).map(deep_nesting),
    st.integers(2, 12).map(alias_bomb),
    st.integers(1_000, 3_000_000).map(
        lambda n: f"zone: example.com\napps:\n  - dns: {{name: {'a' * n}}}\n"
    ),
    st.integers(1_000, 3_000_000).map(lambda n: f"zone: {'9' * n}\n"),
    wrong_type_somewhere(),
    st.sampled_from(["", "---\n---\n", "zone: !!python/object:os.system x\n", "\ufeffzone: [\n"]),
)


def run(args: list[str]) -> tuple[int, str, str, float, float]:
    tracemalloc.start()
    started = time.monotonic()
    try:
        result = CliRunner().invoke(cli, args, catch_exceptions=False)
    finally:
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    return result.exit_code, result.stdout, result.stderr, time.monotonic() - started, peak / 2**20


def crashed(text: str) -> bool:
    return "Traceback" in text or "internal error" in text


def check(command: str, args: list[str]) -> None:
    code, out, err, seconds, peak_mb = run(args)
    STATS["commands"] += 1
    STATS["tracebacks"] += crashed(out) or crashed(err)  # counted before any check can stop us
    assert code in (0, 1, 2), (command, code, err[-500:])
    for text in (out, err):
        assert not crashed(text), (command, text[-2000:])
    for line in err.splitlines():
        if line.startswith("error: ") or line.startswith("valid: "):
            continue
        located = LOCATED.match(line)
        assert located and located["file"].endswith(".yaml"), (command, line[:300])
    assert seconds < MAX_SECONDS, (command, seconds)
    assert peak_mb < MAX_PEAK_MB, (command, peak_mb)


STATS = {"inputs": 0, "commands": 0, "tracebacks": 0}


@settings(
    max_examples=SCALE.hostile_examples,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(text=HOSTILE)
def test_hostile_yaml_never_crashes_any_command(
    text: str, tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    work = tmp_path_factory.mktemp("hostile")
    monkeypatch.chdir(work)  # plan --sandbox keeps its state here
    monkeypatch.delenv("CLOUDFLARE_API_TOKEN", raising=False)
    hostile = work / "hostile.yaml"
    hostile.write_bytes(text.encode("utf-8", errors="surrogateescape"))
    good = work / "good.yaml"
    good.write_text(dumped(VALID))
    check("validate", ["validate", str(hostile)])
    check("plan", ["plan", "--sandbox", str(hostile)])
    check("diff new", ["diff", str(good), str(hostile)])
    check("diff old", ["diff", str(hostile), str(good)])
    STATS["inputs"] += 1


def test_hostile_input_figures(figures) -> None:  # type: ignore[no-untyped-def]
    """Runs after the property (same module, in order): reports how many inputs were tried and
    how many command runs printed a traceback or "internal error" (counted as each ran, so a
    failed property still shows here)."""
    figures(
        hostile_inputs=STATS["inputs"],
        hostile_command_runs=STATS["commands"],
        hostile_tracebacks=STATS["tracebacks"],
    )
    assert STATS["inputs"] >= SCALE.hostile_examples // 2
