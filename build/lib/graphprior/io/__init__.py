"""graphprior.io."""
