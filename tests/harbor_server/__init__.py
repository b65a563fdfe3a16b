"""A Harbor-compatible API server for the tests, in front of a real CNCF distribution registry.

Not part of the package: it exists so the tests can exercise tagguard against the API paths
and behaviours of Harbor (`tests/data/harbor/swagger.yaml`, the project's `shared/harbor/SEMANTICS.md`) without a Harbor.
"""
