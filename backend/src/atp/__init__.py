"""Automated trading platform backend (package `atp`)."""

__version__ = "0.1.0"
