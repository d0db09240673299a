"""Analyses of a System and its Results: feedback loops, loop dominance, comparison."""
