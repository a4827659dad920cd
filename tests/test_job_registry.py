"""Jobs are declared once (`voicecast.jobs`) and queued through their declarations: every
declared name resolves to a job of `workers`, `workers` holds no undeclared job and no logic of
its own, `voicecast` never names a job by a string nor queues one past the registry, and
`python -m workers` loads every job module before freezing its heap. (That every job the
suite's flows queue is declared, on its queue and timeout, is checked around every test by
`jobs_queued_as_declared` in conftest.py.)"""

from __future__ import annotations

import ast
import importlib
import inspect
import os
import re
import subprocess
import sys
from pathlib import Path

from rq.utils import import_attribute

import voicecast
import workers
from voicecast import jobs
from voicecast.jobs import JOBS, JobSpec, job_modules
from voicecast.queues import QUEUE_NAMES
from workers.context import job

NOT_JOB_MODULES = {"__init__", "__main__", "context"}
# Statements a job's body may hold besides its docstring: load ids, call voicecast, log.
THIN = 3


def job_module_names() -> list[str]:
    folder = Path(workers.__file__).parent
    names = (path.stem for path in folder.glob("*.py"))
    return sorted(f"workers.{name}" for name in names if name not in NOT_JOB_MODULES)


def functions_of(module_name: str) -> dict[str, object]:
    """The public functions a module defines (not those it imports)."""
    module = importlib.import_module(module_name)
    return {
        f"{module_name}.{name}": value
        for name, value in vars(module).items()
        if inspect.isfunction(value) and value.__module__ == module_name and name[0] != "_"
    }


def test_every_declared_job_resolves_to_a_job_of_workers() -> None:
    wrapper_code = job(print).__code__  # what `workers.context.job` returns runs this code
    for spec in JOBS.values():
        assert spec.name.startswith("workers."), spec
        assert spec.queue in QUEUE_NAMES, spec
        function = import_attribute(spec.name)  # how RQ's worker finds it
        assert callable(function), spec
        assert getattr(function, "__code__", None) is wrapper_code, f"{spec.name} lacks @job"


def test_every_job_of_workers_is_declared_and_thin() -> None:
    assert job_modules() == tuple(job_module_names())
    for module_name in job_module_names():
        for name, function in functions_of(module_name).items():
            assert name in JOBS, f"{name} is a job no declaration in voicecast.jobs names"
            (definition,) = ast.parse(inspect.getsource(inspect.unwrap(function))).body
            body = definition.body[1:] if ast.get_docstring(definition) else definition.body
            assert len(body) <= THIN, f"{name}: its logic belongs in voicecast"


QUEUEING = {
    "enqueue",
    "enqueue_at",
    "enqueue_in",
    "enqueue_call",
    "enqueue_many",
    "enqueue_job",
    "schedule_job",
    "create_job",
    "prepare_data",
}
JOB_NAME = re.compile(r"workers(\.\w+)+")
DECLARED = {name for name, value in vars(jobs).items() if isinstance(value, JobSpec)}
# The registry itself; the carrier simulator, a program of its own without RQ (its `enqueue`
# queues calls).
EXEMPT = ("voicecast/jobs.py", "voicecast/simulator/")


def declarations_in_scope(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names a module binds to declared jobs, and names it binds to `voicecast.jobs`."""
    specs: set[str] = set()
    modules: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.module == "voicecast.jobs":
            specs |= {alias.asname or alias.name for alias in node.names if alias.name in DECLARED}
        elif isinstance(node, ast.ImportFrom) and node.module == "voicecast":
            modules |= {alias.asname or alias.name for alias in node.names if alias.name == "jobs"}
        elif isinstance(node, ast.Import):
            modules |= {alias.asname for alias in node.names if alias.name == "voicecast.jobs"}
    return specs, modules - {None}


def through_a_declaration(receiver: ast.expr, specs: set[str], modules: set[str]) -> bool:
    if isinstance(receiver, ast.Name):
        return receiver.id in specs
    return (
        isinstance(receiver, ast.Attribute)
        and isinstance(receiver.value, ast.Name)
        and receiver.value.id in modules
        and receiver.attr in DECLARED
    )


def queueing_past_the_registry(package: Path) -> list[str]:
    """Where the package at `package` names a job by a string, or queues one other than
    through a declaration of `voicecast.jobs`."""
    found = []
    for path in sorted(package.rglob("*.py")):
        where = path.relative_to(package.parent).as_posix()
        if where.startswith(EXEMPT):
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        specs, modules = declarations_in_scope(tree)
        for node in ast.walk(tree):
            if (offence := offence_of(node, specs, modules)) is not None:
                found.append(f"{where}:{node.lineno}: {offence}")
    return found


def offence_of(node: ast.AST, specs: set[str], modules: set[str]) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return f"a job named by {node.value!r}" if JOB_NAME.fullmatch(node.value) else None
    queueing = (
        isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in QUEUEING
    )
    if queueing and not through_a_declaration(node.func.value, specs, modules):
        return f"{ast.unparse(node.func)}(...)"
    return None


def test_voicecast_queues_jobs_only_through_their_declarations() -> None:
    assert queueing_past_the_registry(Path(voicecast.__file__).parent) == []


def test_the_scan_sees_a_job_queued_by_name(tmp_path: Path) -> None:
    package = tmp_path / "voicecast"
    package.mkdir()
    (package / "late.py").write_text(
        "from voicecast.jobs import SEND_EVENTS as SEND\n"
        "from voicecast.queues import get_queue\n"
        "SEND.enqueue()\n"
        "get_queue().enqueue_in(delay, SEND.name)\n"
        "queue.enqueue('workers.outbound.send_events')\n"
    )
    assert queueing_past_the_registry(package) == [
        "voicecast/late.py:4: get_queue().enqueue_in(...)",
        "voicecast/late.py:5: queue.enqueue(...)",
        "voicecast/late.py:5: a job named by 'workers.outbound.send_events'",
    ]


# Runs `python -m workers --burst`, noting which job modules are missing when it freezes.
FREEZE_WATCH = """
import gc, runpy, sys
from voicecast.jobs import job_modules
freeze = gc.freeze
def watched():
    print("frozen without:", [name for name in job_modules() if name not in sys.modules])
    freeze()
gc.freeze = watched
sys.argv = ["workers", "--burst", "--no-scheduler"]
runpy.run_module("workers", run_name="__main__", alter_sys=True)
"""


def test_the_worker_loads_every_job_module_before_freezing_its_heap(app) -> None:
    done = subprocess.run(
        [sys.executable, "-c", FREEZE_WATCH],
        env=dict(os.environ),
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    frozen = [line for line in done.stdout.splitlines() if line.startswith("frozen without:")]
    assert frozen == ["frozen without: []"], done.stdout + done.stderr
