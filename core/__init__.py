"""Shared kernel without business rules. Imports no other project package."""
