"""Bastion: an integrity operations platform."""

__version__ = "0.1.0"
