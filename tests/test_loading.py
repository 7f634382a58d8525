"""Loading desired-state files: locations, refusals, and no tracebacks for any input."""

from __future__ import annotations

import re
import time
import tracemalloc
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from reconciler.desired import loading
from reconciler.desired.loading import (
    MAX_FILE_BYTES,
    load_desired_state,
    load_documents,
    load_documents_from_texts,
)
from reconciler.desired.yaml_builder import MAX_DEPTH
from reconciler.errors import ConfigError
from reconciler.model import Location

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "config"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def load_fixture(name: str) -> tuple[list[object], list[tuple[str, int, int, str]]]:
    docs, problems = load_documents([FIXTURES / name])
    return list(docs), [
        (Path(p.location.file).name, p.location.line, p.location.col, p.message)
        for p in problems
        if p.location is not None
    ]


# Every file that must not load, with where the loader must point and what it must say.
REFUSED = [
    ("bad-duplicate-key.yaml", 6, 5, "duplicate key 'protocol' (first at line 4, column 5)"),
    ("bad-alias-bomb.yaml", 2, 4, "anchors and aliases are not supported"),
    ("bad-anchor-merge.yaml", 3, 5, "anchors and aliases are not supported"),
    ("bad-syntax.yaml", 4, 13, "YAML syntax error: while parsing a flow mapping"),
    ("bad-tab-indent.yaml", 3, 1, "YAML syntax error"),
    ("bad-empty.yaml", 1, 1, "the file is empty"),
    ("bad-only-comment.yaml", 1, 1, "the file is empty"),
    ("bad-top-level-list.yaml", 1, 1, "the top level must be a mapping"),
    ("bad-multiple-documents.yaml", 2, 1, "expected a single document"),
    ("bad-python-tag.yaml", 3, 5, "unsupported YAML tag tag:yaml.org,2002:python/object"),
    ("bad-binary-tag.yaml", 1, 7, "unsupported YAML tag tag:yaml.org,2002:binary"),
    ("bad-non-string-key.yaml", 6, 5, "the key '80' is not a plain string"),
    ("bad-not-utf8.yaml", 3, 33, "not UTF-8 text (byte 0xe9)"),
    ("bad-control-character.yaml", 2, 12, "control character 0x0001"),
    ("bad-nan.yaml", 2, 35, "'.nan' is not a finite number"),
]


@pytest.mark.parametrize(("name", "line", "col", "text"), REFUSED)
def test_a_refused_file_is_one_located_problem(name: str, line: int, col: int, text: str) -> None:
    _docs, problems = load_fixture(name)
    assert [(f, ln, c) for f, ln, c, _m in problems] == [(name, line, col)]
    assert text in problems[0][3]
    assert " — " in problems[0][3], "every message ends with what to do"


def test_positions_cover_mappings_keys_scalars_and_list_items() -> None:
    (doc,), problems = load_documents([FIXTURES / "good-static-ips.yaml"])
    assert problems == []
    name = str(FIXTURES / "good-static-ips.yaml")
    assert doc.locate(()) == Location(name, 1, 1)
    assert doc.locate(("apps",)) == Location(name, 3, 3)
    assert doc.locate(("apps", 0)) == Location(name, 3, 5)
    assert doc.locate(("apps", 0, "dns")) == Location(name, 3, 10)
    assert doc.locate(("apps", 0, "dns", "name")) == Location(name, 3, 32)
    assert doc.locate_key(("apps", 0, "protocol")) == Location(name, 4, 5)
    assert doc.locate(("apps", 0, "protocol")) == Location(name, 4, 15)
    assert doc.locate(("apps", 0, "edge_ips", "ips", 1)) == Location(name, 6, 53)
    # A path that was never written falls back to its nearest written ancestor.
    assert doc.locate(("apps", 0, "tls")) == Location(name, 3, 5)


def test_yaml_1_2_booleans_keep_off_a_string() -> None:
    (doc,), problems = load_documents([FIXTURES / "good-yaml12-booleans.yaml"])
    app = doc.data["apps"][0]
    assert problems == []
    assert (app["tls"], app["proxy_protocol"], app["ip_firewall"]) == ("off", "off", False)


def test_dates_stay_strings_and_a_bom_is_accepted() -> None:
    (doc,), problems = load_documents_from_texts([("x.yaml", b"\xef\xbb\xbfzone: 2024-01-01\n")])
    assert problems == []
    assert doc.data == {"zone": "2024-01-01"}


def test_an_alias_bomb_is_refused_with_little_work() -> None:
    levels = [b"a0: &a0 [" + b", ".join([b'"lol"'] * 50) + b"]"]
    levels += [
        f"a{i}: &a{i} [".encode() + b", ".join([f"*a{i - 1}".encode()] * 50) + b"]"
        for i in range(1, 12)
    ]
    bomb = b"zone: example.com\n" + b"\n".join(levels) + b"\n"  # 50**12 strings if expanded
    tracemalloc.start()
    started = time.perf_counter()
    docs, problems = load_documents_from_texts([("bomb.yaml", bomb)])
    elapsed = time.perf_counter() - started
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert docs == []
    assert [str(p) for p in problems] == [
        "bomb.yaml:2:5: YAML anchors and aliases are not supported — write the value out in full"
    ]
    assert elapsed < 1.0 and peak < 4 * 1024 * 1024


def test_a_file_over_the_size_cap_is_refused_unparsed(tmp_path: Path) -> None:
    big = tmp_path / "big.yaml"
    big.write_bytes(b"zone: example.com\n" + b"#" * MAX_FILE_BYTES)
    _docs, problems = load_documents([big])
    (problem,) = problems
    assert problem.location == Location(str(big), 1, 1)
    assert "larger than 1024 KiB" in problem.message
    _docs, problems = load_documents_from_texts([("big.yaml", big.read_bytes())])
    assert "larger than" in problems[0].message


def test_nesting_deeper_than_the_cap_is_refused_without_recursion_errors() -> None:
    deep = b"zone: example.com\napps: " + b"[" * 5000 + b"]" * 5000 + b"\n"
    docs, problems = load_documents_from_texts([("deep.yaml", deep)])
    assert docs == []
    (problem,) = problems
    assert f"nested deeper than {MAX_DEPTH} levels" in problem.message
    assert problem.location == Location("deep.yaml", 2, 7 + MAX_DEPTH - 1)


def test_a_missing_path_and_an_empty_directory_are_located(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("not yaml")
    missing = tmp_path / "missing.yaml"
    docs, problems = load_documents([missing, tmp_path])
    assert docs == []
    # issue 25 item 20: a path is located as a path, not at line 1 column 1 of a directory
    assert [str(p) for p in problems] == [
        f"{missing}: no such file or directory — check the path",
        f"{tmp_path}: a directory with no *.yaml or *.yml files in it (nor below) — give a file,"
        " or a directory that holds some",
    ]


def test_a_directory_is_read_sorted_recursively_and_each_file_once(tmp_path: Path) -> None:
    (tmp_path / "b").mkdir()
    (tmp_path / "b" / "z.yml").write_text("zone: example.com\n")
    (tmp_path / "a.yaml").write_text("zone: example.net\n")
    (tmp_path / "c.txt").write_text("zone: example.org\n")
    docs, problems = load_documents([tmp_path, tmp_path / "a.yaml"])
    assert problems == []
    assert [Path(d.name).relative_to(tmp_path).as_posix() for d in docs] == ["a.yaml", "b/z.yml"]


def test_a_directory_named_like_a_yaml_file_is_walked_not_read(tmp_path: Path) -> None:
    odd = tmp_path / "odd.yaml"
    odd.mkdir()
    (odd / "inner.yaml").write_text("zone: example.com\n")
    docs, problems = load_documents([tmp_path])
    assert problems == []
    assert [Path(d.name).name for d in docs] == ["inner.yaml"]


def test_load_desired_state_raises_every_problem_of_every_file_sorted() -> None:
    with pytest.raises(ConfigError) as caught:
        load_desired_state([FIXTURES / "bad-udp-tls.yaml", FIXTURES / "bad-duplicate-key.yaml"])
    problems = caught.value.problems
    assert [Path(p.location.file).name for p in problems] == [
        "bad-duplicate-key.yaml",
        "bad-udp-tls.yaml",
    ]
    assert str(caught.value) == "2 problems in the desired-state files"


def test_load_desired_state_of_the_examples() -> None:
    state = load_desired_state([EXAMPLES])
    assert sorted(z.label for z in state.zones) == ["example.com", "example.net"]
    assert len(state.apps) == 9


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_raise_and_every_problem_is_located(content: bytes) -> None:
    _docs, problems = load_documents_from_texts([("random.yaml", content)])
    assert all(p.location is not None and p.location.file == "random.yaml" for p in problems)


YAML_ALPHABET = st.sampled_from(list("ab:-[]{},&*!#|>'\"\n\t ?%@`~0123456789.\\"))


@settings(max_examples=300, deadline=None)
@given(st.text(YAML_ALPHABET, max_size=120))
def test_yaml_like_text_never_raises(text: str) -> None:
    _docs, problems = load_documents_from_texts([("t.yaml", text.encode())])
    for problem in problems:
        assert problem.location is not None
        assert problem.location.line >= 1 and problem.location.col >= 1


class TestTheLibyamlPath:
    """libyaml parses every file; each refusal still holds on that path (issue 14)."""

    @pytest.fixture
    def parsers(self, monkeypatch: pytest.MonkeyPatch) -> list[str]:
        used: list[str] = []
        real = loading._build_with

        def spy(parser_class: type, name: str, text: str) -> object:
            used.append(parser_class.__name__)
            return real(parser_class, name, text)

        monkeypatch.setattr(loading, "_build_with", spy)
        return used

    def test_libyaml_is_the_parser(self, parsers: list[str]) -> None:
        assert yaml.__with_libyaml__ and loading._FAST_PARSER is yaml.CSafeLoader
        docs, problems = load_documents([EXAMPLES])
        assert docs and problems == []
        assert set(parsers) == {"CSafeLoader"}

    def test_anchors_and_aliases_are_refused_by_it(self, parsers: list[str]) -> None:
        text = b"zone: example.com\nbase: &b {x: 1}\napps: [*b]\n"
        docs, problems = load_documents_from_texts([("a.yaml", text)])
        assert docs == [] and [str(p) for p in problems] == [
            "a.yaml:2:7: YAML anchors and aliases are not supported — write the value out in full"
        ]
        assert parsers == ["CSafeLoader"]

    def test_block_nesting_past_the_cap_is_refused_by_it(self, parsers: list[str]) -> None:
        deep = "zone: example.com\napps:\n" + "".join(
            "  " * (i + 1) + f"k{i}:\n" for i in range(MAX_DEPTH + 5)
        )
        docs, problems = load_documents_from_texts([("deep.yaml", deep.encode())])
        assert docs == [] and len(problems) == 1
        assert f"nested deeper than {MAX_DEPTH} levels" in problems[0].message
        assert parsers == ["CSafeLoader"]

    def test_flow_nesting_hits_libyaml_cap_then_ours_is_located(self, parsers: list[str]) -> None:
        deep = b"zone: example.com\napps: " + b"[" * 5000 + b"]" * 5000 + b"\n"
        _docs, problems = load_documents_from_texts([("deep.yaml", deep)])
        assert problems[0].location == Location("deep.yaml", 2, 7 + MAX_DEPTH - 1)
        assert parsers == ["CSafeLoader", "SafeLoader"]

    def test_a_syntax_error_reads_as_pyyaml_words_it(self, parsers: list[str]) -> None:
        _docs, problems = load_documents_from_texts([("s.yaml", b"zone: a: b\n")])
        assert [str(p) for p in problems] == [
            "s.yaml:1:8: YAML syntax error: mapping values are not allowed here "
            "— fix the YAML syntax here"
        ]
        assert parsers == ["CSafeLoader", "SafeLoader"]

    def test_a_huge_file_is_refused_before_any_parser(self, parsers: list[str]) -> None:
        big = b"zone: example.com\n" + b"#" * MAX_FILE_BYTES
        _docs, problems = load_documents_from_texts([("big.yaml", big)])
        assert "larger than" in problems[0].message and parsers == []


def test_a_top_level_that_is_no_mapping_links_the_docs_not_a_checkout(tmp_path: Path) -> None:
    # issue 25 item 20: "see the examples/" — pip users have no examples/ directory
    (tmp_path / "list.yaml").write_text("- zone: example.com\n")
    _, (problem,) = load_documents([tmp_path / "list.yaml"])
    assert "examples/" not in problem.message
    pyproject = (Path(__file__).parent.parent / "pyproject.toml").read_text()
    docs = re.search(r'^Documentation = "([^"#]+)/index.md"', pyproject, re.MULTILINE)[1]  # type: ignore[index]
    assert f"{docs}/file-format.md" in problem.message
