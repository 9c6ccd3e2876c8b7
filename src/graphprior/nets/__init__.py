"""graphprior.nets."""
