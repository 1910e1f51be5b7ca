-- Tags staff put on citizens (e.g. 退役军人, 高龄老人) to address notices to a segment.
CREATE TABLE citizen_tags (
    citizen_id  uuid NOT NULL REFERENCES citizens (id),
    tag         text NOT NULL CHECK (length(tag) BETWEEN 1 AND 32),
    tagged_by   uuid NOT NULL REFERENCES staff (id),
    tagged_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (tag, citizen_id)
);
