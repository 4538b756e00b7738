"""Loaded by pytest for every run in this repository, the notebooks' included: the
exercise plugin (official answers injected, or exercises left empty) and the engine
leak check."""

pytest_plugins = ["tests.solutions_inject", "tests.leakcheck"]
