"""graphprior.stages."""
