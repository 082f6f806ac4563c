"""Output: rendering documents as YAML, and the write stage (:func:`write_outputs`)."""

from gitops_core.output.render import needs_quotes, render_document, render_documents
from gitops_core.output.write import (
    WriteError,
    WriteResult,
    write_file,
    write_files,
    write_outputs,
)

__all__ = [
    "WriteError",
    "WriteResult",
    "needs_quotes",
    "render_document",
    "render_documents",
    "write_file",
    "write_files",
    "write_outputs",
]
