"""``python -m gitops_core`` is the ``gitops`` command."""

from gitops_core.cli import run

run()
