"""graphprior.robustness."""
