-- The platform's translations of an item's text (Mongolian first), by language tag:
-- {"mn": {"name": ..., "departmentName": ..., "acceptanceConditions": [...], ...}}.
-- Every field may be missing; a reader falls back to the Chinese column or guide field.
ALTER TABLE catalog_items ADD COLUMN translations jsonb NOT NULL DEFAULT '{}';
