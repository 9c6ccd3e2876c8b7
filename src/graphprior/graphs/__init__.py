"""graphprior.graphs."""
