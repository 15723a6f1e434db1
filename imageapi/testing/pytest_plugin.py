"""pytest fixtures for testing code that uses imageapi against the fake cluster."""
