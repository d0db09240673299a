"""Uncertainty specs shipped with gmsim: distributions on the default model's parameters."""
