"""Benchmark server settings: the real settings plus a bare view to compare against."""

from project.settings import *  # noqa: F403

ROOT_URLCONF = "tests.benchmarks.urls"
