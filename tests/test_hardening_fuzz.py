"""The fuzz targets of benchmarks/fuzz.py, briefly: answers, question files, renderer, sniffing.

``python benchmarks/fuzz.py`` runs the same properties for as long as asked (docs/reliability.md).
"""

from __future__ import annotations

import importlib.util
import sys
from types import ModuleType

import pytest
from conftest import ROOT

from gitops_core.output import needs_quotes, render_document
from gitops_core.questions import QuestionFileError, load_questions


def _load_fuzz() -> ModuleType:
    spec = importlib.util.spec_from_file_location("fuzz", ROOT / "benchmarks" / "fuzz.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["fuzz"] = module
    spec.loader.exec_module(module)
    return module


fuzz = _load_fuzz()
TARGETS = fuzz.targets()


@pytest.mark.parametrize("name", sorted(TARGETS))
def test_fuzz_target_holds_briefly(name: str) -> None:
    strategy, check = TARGETS[name]
    outcomes = fuzz.run_target(strategy, check, examples=120)
    assert sum(outcomes.values()) == 120
    # Each target reaches more than one outcome: the inputs exercise both sides of the property.
    assert len(outcomes) > 1 or name == "render", outcomes


@pytest.mark.parametrize("value", ["-_1", "+_1", "0_x1F", "1e_3", "-_0b1", "1__0"])
def test_strings_go_reads_as_numbers_once_underscores_are_dropped_are_quoted(value: str) -> None:
    """Found by fuzzing against Go's rule: yaml.v2/v3 strip "_" from a scalar starting with a
    sign or digit, then parse it as a number."""
    assert needs_quotes(value)
    assert render_document({"k": value}) == f"---\nk: '{value}'\n"


def test_a_question_file_with_an_impossible_escape_is_one_line() -> None:
    """Found by fuzzing: PyYAML's pure loader raised OverflowError for "\\U99999999"."""
    with pytest.raises(QuestionFileError) as caught:
        load_questions('questions: ["\\U99999999"]', "q.yaml")
    assert str(caught.value).startswith("q.yaml: not valid YAML: ")
    assert "\n" not in str(caught.value)
