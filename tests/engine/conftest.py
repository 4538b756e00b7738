from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture(autouse=True)
def _learner_resources_survive(learner: Any) -> None:
    """Every engine test runs with the learner's own resources present."""
