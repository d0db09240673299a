"""Evidence: calibrate a model to an agency's series, and turn experts' ratings into weights."""
