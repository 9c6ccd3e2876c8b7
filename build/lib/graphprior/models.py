"""Kept for old imports: ``graphprior.models.load_model`` is ``graphprior.nets.checkpoints.load_model``."""

from graphprior.nets.checkpoints import load_model

__all__ = ["load_model"]
