"""Weigh cel-python (``celpy`` on PyPI) against this project's CEL on the conformance suite and
on cost, the measurement behind the choice of evaluator (issue 15).

Not a test: cel-python is not a dependency. Run it from an environment where it is installed::

    python -m venv /tmp/celpy && /tmp/celpy/bin/pip install cel-python attrs pyyaml jsonschema
    /tmp/celpy/bin/python tests/cel_python_compare.py

It prints the pass rate per file for both, then the time to compile and to evaluate a typical
CRD rule with each.
"""

from __future__ import annotations

import importlib
import sys
import time
import timeit
from pathlib import Path
from typing import Any

sys.path[:0] = [str(Path(__file__).resolve().parent), str(Path(__file__).resolve().parents[1])]

from cel_conformance import CRD_FILES, Case, ours, run, summary  # noqa: E402


def _celpy() -> Any:
    return importlib.import_module("celpy")


def _to_celpy(value: Any) -> Any:
    from gitops_core.validation.cel._values import BoolKey, Duration, Timestamp, UInt

    celtypes = importlib.import_module("celpy.celtypes")
    kind = type(value)
    if value is None:
        return None
    if kind is bool:
        return celtypes.BoolType(value)
    if kind is UInt:
        return celtypes.UintType(int(value))
    if kind is int:
        return celtypes.IntType(value)
    if kind is float:
        return celtypes.DoubleType(value)
    if kind is str:
        return celtypes.StringType(value)
    if kind is bytes:
        return celtypes.BytesType(value)
    if kind is list:
        return celtypes.ListType([_to_celpy(v) for v in value])
    if kind is dict:
        return celtypes.MapType(
            {
                _to_celpy(k.value if type(k) is BoolKey else k): _to_celpy(v)
                for k, v in value.items()
            }
        )
    if kind is Duration:
        return celtypes.DurationType(seconds=value.ns // 10**9, nanos=value.ns % 10**9)
    if kind is Timestamp:
        import datetime

        moment = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
        return celtypes.TimestampType(moment + datetime.timedelta(microseconds=value.ns // 1000))
    raise TypeError(kind)


def _from_celpy(value: Any) -> Any:
    from gitops_core.validation.cel._values import CelType, Duration, Timestamp, UInt, map_key

    celtypes = importlib.import_module("celpy.celtypes")
    if value is None:
        return None
    if isinstance(value, celtypes.BoolType):
        return bool(value)
    if isinstance(value, celtypes.UintType):
        return UInt(int(value))
    if isinstance(value, celtypes.IntType):
        return int(value)
    if isinstance(value, celtypes.DoubleType):
        return float(value)
    if isinstance(value, celtypes.StringType):
        return str(value)
    if isinstance(value, celtypes.BytesType):
        return bytes(value)
    if isinstance(value, celtypes.ListType):
        return [_from_celpy(v) for v in value]
    if isinstance(value, celtypes.MapType):
        return {map_key(_from_celpy(k)): _from_celpy(v) for k, v in value.items()}
    if isinstance(value, celtypes.DurationType):
        return Duration(int(value.total_seconds() * 10**9))
    if isinstance(value, celtypes.TimestampType):
        return Timestamp(int(value.timestamp()) * 10**9 + value.microsecond * 1000)
    if isinstance(value, celtypes.TypeType):
        return CelType(str(value))
    return value


def cel_python(case: Case) -> tuple[str, Any]:
    celpy = _celpy()
    try:
        environment = celpy.Environment(package=case.container or None)
        tree = environment.compile(case.expr)
        program = environment.program(tree)
    except Exception as exc:
        return "refused", f"{type(exc).__name__}: {exc}"
    try:
        activation = {k: _to_celpy(v) for k, v in case.bindings.items()}
        result = program.evaluate(activation)
    except Exception as exc:
        return "error", f"{type(exc).__name__}: {exc}"
    if isinstance(result, celpy.CELEvalError):
        return "error", str(result)
    return "value", _from_celpy(result)


RULE = "self.all(k, self[k].matches('^[a-z]+$')) && size(self) <= 10 && 'app' in self"
DATA = {"app": "podinfo", "tier": "web", "team": "ops"}


def costs() -> list[str]:
    from gitops_core.validation.cel import compile_expression

    celpy = _celpy()
    lines = [f"rule: {RULE}"]
    compile_ours = timeit.timeit(lambda: compile_expression(RULE, frozenset({"self"})), number=200)
    program = compile_expression(RULE, frozenset({"self"}))
    run_ours = timeit.timeit(lambda: program.run({"self": DATA}), number=2000)

    def compile_theirs() -> Any:
        environment = celpy.Environment()
        return environment.program(environment.compile(RULE))

    compile_celpy = timeit.timeit(compile_theirs, number=20) * 10
    theirs = compile_theirs()
    activation = {"self": _to_celpy(DATA)}
    run_celpy = timeit.timeit(lambda: theirs.evaluate(activation), number=200) * 10
    lines.append(
        f"compile, ms per rule: ours {compile_ours * 5:.3f}, cel-python {compile_celpy * 5:.3f}"
    )
    lines.append(
        f"evaluate, µs per document: ours {run_ours * 500:.1f}, cel-python {run_celpy * 500:.1f}"
    )
    return lines


def main() -> int:
    for name, evaluate in (("ours", ours), ("cel-python", cel_python)):
        start = time.perf_counter()
        results = run(CRD_FILES, evaluate)
        elapsed = time.perf_counter() - start
        print(f"== {name} ({elapsed:.1f} s for the suite)")
        for line in summary(results):
            print(line)
    for line in costs():
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
