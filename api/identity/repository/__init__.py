"""All SQL of identity, one module per group of tables; personal data arrives here already
encrypted. Rows come back as msgspec Structs."""
