-- Service figures (issue 19): a daily rollup kept by a job, so the dashboard never scans the
-- declarations or their timeline (docs/architecture.md "Figures").

-- What a declaration's figures are cut by, fixed when it is made: the item's department and
-- region at that time (an item that later moves keeps its past figures where they were), the
-- channel it came through, and whether the item needs a visit to the hall (全程网办 is a case
-- completed without one: the guide's online level is `full_online`).
ALTER TABLE declarations
    ADD COLUMN department_code  text NOT NULL DEFAULT '',
    ADD COLUMN region_code      text NOT NULL DEFAULT '',
    ADD COLUMN channel          text NOT NULL DEFAULT 'miniprogram'
        CHECK (channel IN ('miniprogram', 'app', 'hall')),
    ADD COLUMN hall_visit       boolean NOT NULL DEFAULT false;

UPDATE declarations d
   SET department_code = c.department_code,
       region_code = c.region_code,
       hall_visit = c.online_level <> 'full_online'
  FROM catalog_items c
 WHERE c.code = d.item_code;

-- The transaction that wrote each timeline entry: the rollup takes the entries of finished
-- transactions only (below the oldest running one), so an entry committed late by a slow
-- transaction is never skipped, whatever its id.
ALTER TABLE declaration_events ADD COLUMN txid xid8 NOT NULL DEFAULT pg_current_xact_id();
CREATE INDEX declaration_events_txid ON declaration_events (txid);

-- The overdue sweep reads the cases due on the days it has not swept yet.
CREATE INDEX declarations_promised_due ON declarations (promised_due)
    WHERE promised_due IS NOT NULL;

-- One row per China business day, item, department, region and channel. Counts are of events
-- on that day; `due`/`overdue` are the cases whose promised deadline was that day and how many
-- of them were not finished by it. The two histograms count cases by working days (index 1 is
-- 0 days; the last bucket holds that many or more), so a median or p90 of any slice is exact.
CREATE TABLE figure_days (
    day                  date NOT NULL,
    item_code            text NOT NULL,
    department_code      text NOT NULL,
    region_code          text NOT NULL,
    channel              text NOT NULL,
    applications         integer NOT NULL DEFAULT 0,
    accepted             integer NOT NULL DEFAULT 0,
    tolerated            integer NOT NULL DEFAULT 0,
    completed            integer NOT NULL DEFAULT 0,
    completed_online     integer NOT NULL DEFAULT 0,
    refused              integer NOT NULL DEFAULT 0,
    not_accepted         integer NOT NULL DEFAULT 0,
    supplement_requests  integer NOT NULL DEFAULT 0,
    supplemented         integer NOT NULL DEFAULT 0,
    repeat_supplemented  integer NOT NULL DEFAULT 0,
    due                  integer NOT NULL DEFAULT 0,
    overdue              integer NOT NULL DEFAULT 0,
    acceptance_days      integer[] NOT NULL DEFAULT '{}',
    completion_days      integer[] NOT NULL DEFAULT '{}',
    PRIMARY KEY (day, item_code, department_code, region_code, channel)
);
CREATE INDEX figure_days_department ON figure_days (department_code, day);
CREATE INDEX figure_days_item ON figure_days (item_code, day);
CREATE INDEX figure_days_region ON figure_days (region_code, day);

-- How far the rollup has read: timeline entries of transactions below `events_below` are in;
-- deadlines up to `swept_through` are swept. One row, locked by the job while it works.
CREATE TABLE figure_progress (
    singleton      boolean PRIMARY KEY DEFAULT true CHECK (singleton),
    events_below   xid8 NOT NULL DEFAULT '0',
    swept_through  date,
    updated_at     timestamptz NOT NULL DEFAULT now()
);
INSERT INTO figure_progress (singleton) VALUES (true);

-- Element-wise sum of two histograms of any lengths.
CREATE FUNCTION figures_add_histograms(a integer[], b integer[]) RETURNS integer[] AS $$
    SELECT coalesce(array_agg(coalesce(a[i], 0) + coalesce(b[i], 0) ORDER BY i), '{}')
      FROM generate_series(1, greatest(cardinality(a), cardinality(b))) AS i
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;
