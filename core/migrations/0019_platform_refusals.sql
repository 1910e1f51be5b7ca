-- A refusal is an answer, not an outage. The platform may refuse a delivery for good (an item
-- suspended after our last catalogue sync, an unknown item, a validation refusal): the
-- submission then ends in `platform_refused` (未被受理，平台退回), which the citizen can turn back
-- into a draft (everything kept) or withdraw; a refused supplement or 容缺 delivery keeps its
-- state and records the refusal for the citizen to correct and resend.
ALTER TABLE declarations DROP CONSTRAINT declarations_state_check;
ALTER TABLE declarations ADD CONSTRAINT declarations_state_check CHECK (state IN ('draft',
    'submitted', 'needs_supplement', 'not_accepted', 'accepted', 'processing', 'completed',
    'refused', 'withdrawn', 'platform_refused'));

-- `refused`: the platform refused the last delivery (submission or supplement) for good.
ALTER TABLE declarations DROP CONSTRAINT declarations_delivery_check;
ALTER TABLE declarations ADD CONSTRAINT declarations_delivery_check
    CHECK (delivery IN ('none', 'pending', 'delivered', 'refused'));

-- The platform's last refusal of a delivery: {"kind": "submission" | "supplement" | "tolerated",
-- "code", "reason" (Chinese, shown to the citizen), "at", "materials"?}; cleared when a later
-- delivery gets through.
ALTER TABLE declarations ADD COLUMN delivery_refusal jsonb;
-- How many times the declaration went back to draft after a refusal: a new submission is a
-- new request to the platform, so its idempotency key carries the round (0: the declaration id).
ALTER TABLE declarations ADD COLUMN submit_round integer NOT NULL DEFAULT 0
    CHECK (submit_round >= 0);

CREATE OR REPLACE FUNCTION declarations_check_transition() RETURNS trigger AS $$
BEGIN
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state, NEW.state) IN (
        ('draft', 'submitted'), ('draft', 'withdrawn'),
        ('submitted', 'needs_supplement'), ('submitted', 'not_accepted'),
        ('submitted', 'accepted'), ('submitted', 'withdrawn'),
        ('submitted', 'platform_refused'),
        ('needs_supplement', 'submitted'), ('needs_supplement', 'withdrawn'),
        ('platform_refused', 'draft'), ('platform_refused', 'withdrawn'),
        ('accepted', 'processing'), ('accepted', 'completed'), ('accepted', 'refused'),
        ('processing', 'completed'), ('processing', 'refused')
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'declaration % cannot go from % to %', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;
