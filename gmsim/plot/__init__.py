"""Every figure: results, the causal loop diagram, uncertainty bands and indices."""
