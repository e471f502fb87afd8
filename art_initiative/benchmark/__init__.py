"""Benchmarks and the main demo job."""

from art_initiative.benchmark.demo import DemoConfig, run_demo
from art_initiative.benchmark.harness import run_benchmark

__all__ = ["DemoConfig", "run_benchmark", "run_demo"]
