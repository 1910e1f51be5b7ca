-- App installations that can receive app push (the aggregator's registration ids).
CREATE TABLE push_devices (
    registration_id  text PRIMARY KEY,
    citizen_id       uuid NOT NULL REFERENCES citizens (id),
    platform         text NOT NULL CHECK (platform IN ('android', 'ios', 'harmony')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX push_devices_citizen ON push_devices (citizen_id);
