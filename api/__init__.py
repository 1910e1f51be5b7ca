"""The Litestar application: composition root, guards, and the citizen and staff domains."""
