"""Emulated 2N Helios IP intercoms speaking the HTTP API 2.11."""

__version__ = "0.1.0"
