"""Stand-ins for outside services and helpers that run channels on loopback in tests."""
