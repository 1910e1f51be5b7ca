-- The item a fee notice is for, so an agent whose mandate covers chosen items (委托代办, 帮办,
-- a company's 经办人 with items) meets only the notices and orders of those items. Recorded
-- with the notice from then on; the notices already kept take their declaration's item here.
-- NULL (a notice without a declaration): outside every mandate limited to items.
ALTER TABLE fee_notices ADD COLUMN item_code text;

UPDATE fee_notices n SET item_code = d.item_code
  FROM declarations d
 WHERE d.id = n.declaration_id AND n.item_code IS NULL;
