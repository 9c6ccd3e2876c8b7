"""graphprior: does the wiring of a sparse neural network predict its robustness?"""

__version__ = "0.1.0"
