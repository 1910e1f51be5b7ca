-- Notices on every channel a citizen allows (inbox, WeChat, app push) and, for urgent ones, by
-- SMS with its cost approved before sending.
--   urgent: the drafting officer asks for SMS too (citizens with a phone who allow SMS).
--   sms_*: what the approver was shown and approved (recipients, parts per message, price and
--          total in fen), recorded at approval; NULL for a notice without SMS.
--   wechat_quota_misses: recipients who allow WeChat and have an openid but no remaining
--          grant of the notice template, counted in the batch that skipped them.
ALTER TABLE notices ADD COLUMN urgent boolean NOT NULL DEFAULT false;
ALTER TABLE notices ADD COLUMN sms_recipients integer CHECK (sms_recipients >= 0);
ALTER TABLE notices ADD COLUMN sms_parts integer CHECK (sms_parts >= 1);
ALTER TABLE notices ADD COLUMN sms_price_fen integer CHECK (sms_price_fen >= 0);
ALTER TABLE notices ADD COLUMN sms_cost_fen bigint CHECK (sms_cost_fen >= 0);
ALTER TABLE notices ADD COLUMN wechat_quota_misses integer NOT NULL DEFAULT 0;
-- An urgent notice is never approved without the SMS cost its approver saw.
ALTER TABLE notices ADD CONSTRAINT notices_urgent_cost_approved
    CHECK (NOT urgent OR approved_by IS NULL OR sms_cost_fen IS NOT NULL);
