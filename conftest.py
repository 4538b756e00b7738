"""Loaded by pytest for every run in this repository, the notebooks' included: the
exercise plugin (official answers injected, or exercises left empty) and the engine
leak check."""

import os

#: The checks that tests and notebook runs make (kernels inherit this) note nothing in the
#: progress record of whoever runs them (dockcourse/progress.py).
os.environ.setdefault("DOCKCOURSE_PROGRESS", "off")

pytest_plugins = ["tests.solutions_inject", "tests.leakcheck"]
