"""Shared test configuration: Hypothesis profiles, seeding, markers."""

import os

import keras
import numpy as np
import pytest
from hypothesis import settings

settings.register_profile("default", deadline=None, max_examples=15)
settings.register_profile(
    "ci", deadline=None, max_examples=15, derandomize=True, print_blob=True
)
settings.register_profile("thorough", deadline=None, max_examples=200)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "default"))


@pytest.fixture(autouse=True)
def _seed_and_reset():
    """Every test starts from the same seeds and Keras's default policy."""
    keras.utils.set_random_seed(1234)
    yield
    keras.config.set_dtype_policy("float32")


@pytest.fixture
def rng():
    return np.random.default_rng(20151207)


@pytest.fixture
def tiny_config():
    """A factory of the tiny training configuration (`tests.fakes`)."""
    from tests.fakes import tiny_config

    return tiny_config


@pytest.fixture
def fake_run():
    """A writer of fake run files (`tests.fakes.write_fake_run`)."""
    from tests.fakes import write_fake_run

    return write_fake_run


def pytest_report_header(config):
    return f"keras {keras.__version__}, backend {keras.backend.backend()}"
