"""Uncertainty: specs, sampling, metrics, streamed statistics, the chunk runner and its
executors, Monte Carlo, and global sensitivity (Morris, Sobol)."""
