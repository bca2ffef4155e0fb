"""Tests of the simulated platform (bastion.simulate)."""
