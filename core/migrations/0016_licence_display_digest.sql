-- 亮证: the SM3 digest of each display code as issued, so online verification recognises the
-- very code we issued by one lookup (offline verifiers check its SM2 signature instead).
ALTER TABLE licence_displays ADD COLUMN code_digest bytea;
