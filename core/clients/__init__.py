"""Typed async clients for outside systems that several domains use."""
