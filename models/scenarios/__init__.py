"""The scenario library: "what if" files for the default model."""
