"""Uncertainty specs shipped with gmsim: what is uncertain in the default model, and how."""
