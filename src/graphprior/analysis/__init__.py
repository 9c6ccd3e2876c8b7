"""graphprior.analysis."""
