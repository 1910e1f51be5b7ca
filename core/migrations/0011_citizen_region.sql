-- The region of a citizen's household registration (the first six digits of the ID number,
-- GB/T 2260), kept in the clear for notice audiences; the ID number itself stays encrypted.
ALTER TABLE citizens ADD COLUMN region_code text CHECK (region_code ~ '^[0-9]{6}$');
CREATE INDEX citizens_region ON citizens (region_code);
