"""imageapi.testing: a fake in-memory image.openshift.io/v1 API server for tests."""
