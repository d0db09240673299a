"""The model library shipped with gmsim: the paper's default model and scenarios."""
