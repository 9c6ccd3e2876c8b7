"""graphprior.report."""
