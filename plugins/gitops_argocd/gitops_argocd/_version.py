"""The gitops-argocd version, its one source: hatchling reads it at build time."""

__version__ = "0.1.0"
