"""Kept for old imports: ``graphprior.models.load_model`` is ``graphprior.nets.load_model``."""

from graphprior.nets.stacked import load_model

__all__ = ["load_model"]
