"""Benchmarks and the main demo job."""

from art_initiative.benchmark.demo import DemoConfig, run_demo

__all__ = ["DemoConfig", "run_demo"]
