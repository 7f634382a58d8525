"""A small runner for the CI recipes: GitHub workflow jobs and GitLab CI jobs, run with bash.

It runs each ``run:`` step as the runner does (``bash --noprofile --norc -eo pipefail``, in the
workspace, with the variables GitHub provides and a fresh ``GITHUB_OUTPUT`` per step), evaluates
the few expressions the recipes use, and replaces each ``uses:`` step by its documented effect:

* ``actions/checkout``: the workspace already is the repository at the event's commit, with the
  remote branches as ``origin/*`` (what ``fetch-depth: 0`` gives).
* ``actions/setup-python``: puts a Python first on ``PATH`` (one virtual environment per test
  session, which sees the test environment's packages, so installing the tool needs no index).
* ``actions/upload-artifact``: copies ``path`` into ``artifacts/<name>/``.
* ``actions/cache``: restores nothing (a cold cache, as on a job's first run).
* ``actions/github-script``: its JavaScript is syntax-checked with ``node --check``, as the body
  of the async function github-script wraps it in; it is not run (it talks to GitHub's API).
* ``OWNER/spectrum-reconciler@…`` (this repository's ``action.yml``): its own steps, run the same
  way with ``inputs`` from ``with:`` and the action's defaults, and its outputs mapped back. Its
  sticky comment talks to ``GITHUB_API_URL``: a fake GitHub on loopback (tests/fake_github.py).

Nothing here knows what the recipes do; the tests say what must happen.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
THIS_ACTION = re.compile(r"[\w.-]+/spectrum-reconciler@[\w.-]+")


def load_yaml(path: Path) -> dict[Any, Any]:
    document = yaml.safe_load(path.read_text())
    if True in document:  # YAML 1.1 reads the key `on` as True
        document["on"] = document.pop(True)
    return dict(document)


# ---- expressions ---------------------------------------------------------------------------

_EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")


def lookup(contexts: Mapping[str, Any], path: str) -> Any:
    value: Any = contexts
    for part in path.split("."):
        value = value.get(part, "") if isinstance(value, Mapping) else ""
    return value


def evaluate(expression: str, contexts: Mapping[str, Any]) -> Any:
    """The expressions the recipes use: literals, context paths, ==, !=, always()/failure()."""
    expression = expression.strip()
    for operator in ("==", "!="):
        if f" {operator} " in expression:
            left, right = (evaluate(side, contexts) for side in expression.split(f" {operator} "))
            return (str(left) == str(right)) == (operator == "==")
    if expression in ("always()", "success()", "failure()"):
        return contexts["__status__"](expression)
    if re.fullmatch(r"'[^']*'", expression):
        return expression[1:-1]
    if re.fullmatch(r"[A-Za-z_][\w.-]*", expression):
        return lookup(contexts, expression)
    raise AssertionError(f"the harness does not understand the expression {expression!r}")


def interpolate(text: Any, contexts: Mapping[str, Any]) -> str:
    if isinstance(text, bool):  # `with: {comment: true}` reaches the action as "true"
        return _text(text)
    return _EXPRESSION.sub(lambda m: _text(evaluate(m.group(1), contexts)), str(text))


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def condition(step: Mapping[str, Any], contexts: Mapping[str, Any]) -> bool:
    """A step's ``if:``; without a status function GitHub prefixes ``success() &&``."""
    text = _EXPRESSION.sub(lambda m: m.group(1), str(step.get("if", "success()")))
    if not any(f in text for f in ("always()", "failure()", "success()")):
        text = f"success() && {text}"
    return all(bool(evaluate(part, contexts)) for part in text.split(" && "))


# ---- running steps -------------------------------------------------------------------------


@dataclass
class StepResult:
    name: str
    ran: bool
    code: int = 0
    stdout: str = ""
    stderr: str = ""
    env: dict[str, str] = field(default_factory=dict)
    effect: str = ""  # for a `uses:` step: the documented effect that stood in for it


@dataclass
class JobResult:
    steps: list[StepResult]
    outputs: dict[str, dict[str, str]]
    summary: str
    failed: bool

    def step(self, name: str) -> StepResult:
        (found,) = [s for s in self.steps if s.name == name]
        return found

    @property
    def log(self) -> str:
        return "\n".join(
            f"[{s.name}] ran={s.ran} code={s.code}\n{s.stdout}{s.stderr}" for s in self.steps
        )


@dataclass
class Runner:
    """One job's world: the workspace, the variables GitHub sets, the artifact store."""

    workspace: Path
    temp: Path
    python_bin: Path  # what setup-python puts on PATH
    artifacts: Path
    env: dict[str, str]
    contexts: dict[str, Any]
    node: str | None = None
    path_prefix: list[str] = field(default_factory=list)
    summary: list[str] = field(default_factory=list)
    failed: bool = False

    def run_job(self, workflow: Mapping[str, Any], job: str) -> JobResult:
        settings = workflow["jobs"][job]
        base_env = {
            **self._interpolated(workflow.get("env") or {}),
            **self._interpolated(settings.get("env") or {}),
        }
        self.contexts["steps"] = {}
        results = [self.run_step(step, base_env) for step in settings["steps"]]
        outputs = {k: dict(v["outputs"]) for k, v in self.contexts["steps"].items()}
        return JobResult(results, outputs, "".join(self.summary), self.failed)

    def _status(self, name: str) -> bool:
        return {"always()": True, "success()": not self.failed, "failure()": self.failed}[name]

    def _interpolated(self, mapping: Mapping[str, Any]) -> dict[str, str]:
        self.contexts["__status__"] = self._status
        return {str(k): interpolate(v, self.contexts) for k, v in mapping.items()}

    def run_step(self, step: Mapping[str, Any], base_env: Mapping[str, str]) -> StepResult:
        self.contexts["__status__"] = self._status
        name = str(step.get("name") or step.get("uses") or step.get("id"))
        if not condition(step, self.contexts):
            return StepResult(name, ran=False)
        env = {**base_env, **self._interpolated(step.get("env") or {})}
        if "run" in step:
            result = self._bash(name, interpolate(step["run"], self.contexts), env, step.get("id"))
        else:
            result = self._uses(
                name,
                str(step["uses"]),
                self._interpolated(step.get("with") or {}),
                env,
                step.get("id"),
            )
        if result.code != 0:
            self.failed = True
        return result

    def _record(self, step_id: Any, outputs: Mapping[str, str]) -> None:
        if step_id:
            self.contexts["steps"][str(step_id)] = {"outputs": dict(outputs)}

    def _bash(self, name: str, script: str, env: Mapping[str, str], step_id: Any) -> StepResult:
        output, summary = self.temp / "github_output", self.temp / "step_summary"
        path_file = self.temp / "github_path"
        for file in (output, summary, path_file):
            file.write_text("")
        script_file = self.temp / "step.sh"
        script_file.write_text(script)
        full_env = {
            **self.env,
            **env,
            "GITHUB_OUTPUT": str(output),
            "GITHUB_STEP_SUMMARY": str(summary),
            "GITHUB_PATH": str(path_file),
            "PATH": os.pathsep.join([*self.path_prefix, self.env["PATH"]]),
        }
        done = subprocess.run(
            ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script_file)],
            cwd=self.workspace,
            env=full_env,
            capture_output=True,
            text=True,
            check=False,
            timeout=120,
        )
        self._record(step_id, parse_outputs(output.read_text()))
        self.summary.append(summary.read_text())
        self.path_prefix[:0] = [line for line in path_file.read_text().splitlines() if line]
        return StepResult(name, True, done.returncode, done.stdout, done.stderr, full_env)

    def _uses(
        self, name: str, uses: str, inputs: Mapping[str, str], env: Mapping[str, str], step_id: Any
    ) -> StepResult:
        action = uses.split("@")[0]
        if action == "actions/checkout":
            return StepResult(
                name, True, effect="the workspace is the repository at the event's commit"
            )
        if action == "actions/setup-python":
            if str(self.python_bin) not in self.path_prefix:
                self.path_prefix.insert(0, str(self.python_bin))
            return StepResult(name, True, effect=f"{self.python_bin} first on PATH")
        if action == "actions/upload-artifact":
            return self._upload(name, inputs)
        if action == "actions/cache":
            return StepResult(name, True, effect=f"nothing restored for {inputs['key']} (cold)")
        if action == "actions/github-script":
            return self._check_script(name, inputs["script"])
        if THIS_ACTION.fullmatch(uses):
            return self._this_action(name, inputs, env, step_id)
        raise AssertionError(f"{name}: no stand-in for {uses}")

    def _upload(self, name: str, inputs: Mapping[str, str]) -> StepResult:
        target = self.artifacts / inputs["name"]
        target.mkdir(parents=True, exist_ok=True)
        found = False
        for line in inputs["path"].split():
            source = self.workspace / line
            if source.is_dir():
                shutil.copytree(source, target, dirs_exist_ok=True)
                found = True
            elif source.is_file():
                shutil.copy2(source, target / source.name)
                found = True
        code = 1 if not found and inputs.get("if-no-files-found", "warn") == "error" else 0
        return StepResult(name, True, code, effect=f"copied {inputs['path']} to {target}")

    def _check_script(self, name: str, script: str) -> StepResult:
        assert self.node, "node is needed to check github-script steps"
        wrapped = self.temp / "github-script.js"
        wrapped.write_text(f"(async function () {{\n{script}\n}})();\n")
        done = subprocess.run(
            [self.node, "--check", str(wrapped)], capture_output=True, text=True, check=False
        )
        return StepResult(
            name, True, done.returncode, done.stdout, done.stderr, effect="node --check"
        )

    def _this_action(
        self, name: str, inputs: Mapping[str, str], env: Mapping[str, str], step_id: Any
    ) -> StepResult:
        action = load_yaml(ACTION)
        declared = action["inputs"]
        unknown = set(inputs) - set(declared)
        assert not unknown, f"{name}: the action has no inputs {sorted(unknown)}"
        caller_steps, caller_failed = self.contexts["steps"], self.failed
        self.contexts["inputs"] = {  # a default may be an expression: ${{ github.token }}
            k: inputs.get(k, interpolate(str(v.get("default", "")), self.contexts))
            for k, v in declared.items()
        }
        self.contexts["github"] = {**self.contexts["github"], "action_path": str(ROOT)}
        self.contexts["steps"] = {}
        results = [self.run_step(step, env) for step in action["runs"]["steps"]]
        outputs = {k: interpolate(v["value"], self.contexts) for k, v in action["outputs"].items()}
        self.contexts["steps"], self.failed = caller_steps, caller_failed
        del self.contexts["inputs"]
        self._record(step_id, outputs)
        ran = [r for r in results if r.ran and not r.effect]
        code = next((r.code for r in ran if r.code), 0)
        return StepResult(
            name,
            True,
            code,
            "".join(r.stdout for r in ran),
            "".join(r.stderr for r in ran),
            ran[-1].env if ran else {},
            effect="action.yml",
        )


def parse_outputs(text: str) -> dict[str, str]:
    """``name=value`` lines and ``name<<DELIM`` blocks, as GitHub reads GITHUB_OUTPUT."""
    outputs: dict[str, str] = {}
    lines = iter(text.splitlines())
    for line in lines:
        if "<<" in line and "=" not in line.split("<<")[0]:
            key, delimiter = line.split("<<", 1)
            body = []
            for inner in lines:
                if inner == delimiter:
                    break
                body.append(inner)
            outputs[key] = "\n".join(body)
        elif "=" in line:
            key, value = line.split("=", 1)
            outputs[key] = value
    return outputs


# ---- GitLab CI -----------------------------------------------------------------------------


def gitlab_rule_matches(rule: str, variables: Mapping[str, str]) -> bool:
    """``$A == "x" && $B == $C && $D`` — the only forms the GitLab recipe's rules use (a bare
    ``$D`` holds when the variable is set and not empty)."""

    def side(text: str) -> str:
        text = text.strip()
        if text.startswith("$"):
            return variables.get(text[1:], "")
        assert text.startswith('"') and text.endswith('"'), f"cannot read {text!r}"
        return text[1:-1]

    clauses = []
    for clause in rule.split("&&"):
        if re.fullmatch(r"\$\w+", clause.strip()):
            clauses.append(bool(side(clause)))
            continue
        left, operator, right = re.split(r"\s*(==|!=)\s*", clause.strip())
        clauses.append((side(left) == side(right)) == (operator == "=="))
    return all(clauses)


def gitlab_job_runs(job: Mapping[str, Any], variables: Mapping[str, str]) -> bool:
    return any(gitlab_rule_matches(rule["if"], variables) for rule in job.get("rules", []))


def run_gitlab_job(
    pipeline: Mapping[str, Any],
    name: str,
    *,
    workspace: Path,
    env: Mapping[str, str],
    prepare: Callable[[dict[str, str]], None] | None = None,
) -> subprocess.CompletedProcess[str]:
    """``before_script`` then ``script``, one bash, stopping at the first failing line (as the
    runner does), with the pipeline's variables under the job's environment."""
    job = pipeline[name]
    default = pipeline.get("default", {})
    lines = [*job.get("before_script", default.get("before_script", [])), *job["script"]]
    variables = {k: str(v) for k, v in (pipeline.get("variables") or {}).items()}
    full_env = {**variables, **env}
    if prepare:
        prepare(full_env)
    script = "set -eo pipefail\n" + "\n".join(lines) + "\n"
    return subprocess.run(
        ["bash", "--noprofile", "--norc", "-c", script],
        cwd=workspace,
        env=full_env,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def event_file(directory: Path, event: Mapping[str, Any]) -> Path:
    path = directory / "event.json"
    path.write_text(json.dumps(event))
    return path
