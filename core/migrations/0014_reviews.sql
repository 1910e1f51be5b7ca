-- Good/bad review (政务服务"好差评"), DOMAIN.md §6: ratings of finished matters, once per
-- channel ("一事一评") plus one follow-up per matter, and the rectification tickets that bad
-- reviews (levels 1-2) open.
CREATE TABLE reviews (
    id                    uuid PRIMARY KEY,
    declaration_id        uuid NOT NULL REFERENCES declarations (id),
    citizen_id            uuid NOT NULL REFERENCES citizens (id),
    -- Copied from the declaration and the catalogue when rated: figures group by them, and an
    -- item that later moves department keeps its ratings where they were given.
    item_code             text NOT NULL,
    item_name             text NOT NULL,
    department_code       text NOT NULL,
    department_name       text NOT NULL,
    channel               text NOT NULL CHECK (channel IN ('wechat', 'app')),
    kind                  text NOT NULL CHECK (kind IN ('initial', 'follow_up')),
    -- The rating a follow-up follows (the bad review whose ticket was resolved).
    follows_review_id     uuid REFERENCES reviews (id),
    level                 smallint NOT NULL CHECK (level BETWEEN 1 AND 5),
    -- The online indicator set: all five or none.
    score_overall         smallint CHECK (score_overall BETWEEN 1 AND 5),
    score_efficiency      smallint CHECK (score_efficiency BETWEEN 1 AND 5),
    score_guide_accuracy  smallint CHECK (score_guide_accuracy BETWEEN 1 AND 5),
    score_convenience     smallint CHECK (score_convenience BETWEEN 1 AND 5),
    score_ease_of_use     smallint CHECK (score_ease_of_use BETWEEN 1 AND 5),
    tags                  text[] NOT NULL DEFAULT '{}',
    text                  text NOT NULL DEFAULT '' CHECK (char_length(text) <= 500),
    rated_at              timestamptz NOT NULL,
    -- Reporting to the platform's rating system (a job): waiting, received, or refused for good.
    report_state          text NOT NULL DEFAULT 'pending'
                          CHECK (report_state IN ('pending', 'reported', 'refused')),
    platform_number       text,
    report_error          text,
    reported_at           timestamptz,
    -- An appeal upheld (malicious or mistaken rating): kept on record, left out of figures.
    excluded              boolean NOT NULL DEFAULT false,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK ((kind = 'follow_up') = (follows_review_id IS NOT NULL)),
    CHECK (num_nonnulls(score_overall, score_efficiency, score_guide_accuracy, score_convenience,
                        score_ease_of_use) IN (0, 5))
);
-- 一事一评: one rating per matter and channel, and one follow-up per matter.
CREATE UNIQUE INDEX reviews_once_per_channel ON reviews (declaration_id, channel)
    WHERE kind = 'initial';
CREATE UNIQUE INDEX reviews_one_follow_up ON reviews (declaration_id) WHERE kind = 'follow_up';
CREATE INDEX reviews_citizen ON reviews (citizen_id);
CREATE INDEX reviews_rated_at ON reviews (rated_at);

-- Rectification of a bad review within 3 working days (Art. 23).
CREATE TABLE review_tickets (
    id                 uuid PRIMARY KEY,
    review_id          uuid NOT NULL UNIQUE REFERENCES reviews (id),
    declaration_id     uuid NOT NULL REFERENCES declarations (id),
    citizen_id         uuid NOT NULL REFERENCES citizens (id),
    state              text NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'contacted',
                           'rectified', 'explained', 'appealing', 'closed')),
    outcome            text CHECK (outcome IN ('rectified', 'explained', 'appeal_upheld')),
    -- NULL when the official calendar does not cover the rating date (never a guess).
    due_on             date,
    -- Set by the supervision job on unresolved tickets; frozen once resolved.
    flag               text NOT NULL DEFAULT 'none' CHECK (flag IN ('none', 'due_soon', 'late')),
    contacted_at       timestamptz,
    contact_note       text,
    resolved_at        timestamptz,
    resolution_note    text,
    resolved_on_time   boolean,
    closed_at          timestamptz,
    appeal_reason      text,
    appeal_from_state  text CHECK (appeal_from_state IN ('open', 'contacted')),
    appealed_at        timestamptz,
    appealed_by        uuid REFERENCES staff (id),
    appeal_upheld      boolean,
    appeal_note        text,
    appeal_decided_at  timestamptz,
    created_at         timestamptz NOT NULL DEFAULT now(),
    updated_at         timestamptz NOT NULL DEFAULT now(),
    CHECK (state <> 'appealing' OR appeal_from_state IS NOT NULL),
    CHECK (state NOT IN ('rectified', 'explained') OR outcome = state)
);
CREATE INDEX review_tickets_unresolved ON review_tickets (due_on)
    WHERE state IN ('open', 'contacted', 'appealing');

CREATE FUNCTION review_tickets_check_transition() RETURNS trigger AS $$
BEGIN
    IF NEW.state = OLD.state THEN
        RETURN NEW;
    END IF;
    IF (OLD.state, NEW.state) IN (
        ('open', 'contacted'), ('open', 'appealing'), ('contacted', 'appealing'),
        ('contacted', 'rectified'), ('contacted', 'explained'),
        ('appealing', 'open'), ('appealing', 'contacted'), ('appealing', 'closed'),
        ('rectified', 'closed'), ('explained', 'closed')
    ) THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'review ticket % cannot go from % to %', OLD.id, OLD.state, NEW.state
        USING ERRCODE = 'check_violation';
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER review_tickets_transition BEFORE UPDATE OF state ON review_tickets
    FOR EACH ROW EXECUTE FUNCTION review_tickets_check_transition();

-- The ticket's history (who did what, when): append-only, beside the audit log.
CREATE TABLE review_ticket_events (
    id          bigserial PRIMARY KEY,
    ticket_id   uuid NOT NULL REFERENCES review_tickets (id),
    action      text NOT NULL,
    from_state  text,
    to_state    text NOT NULL,
    staff_id    uuid REFERENCES staff (id),
    note        text,
    at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX review_ticket_events_ticket ON review_ticket_events (ticket_id, id);
