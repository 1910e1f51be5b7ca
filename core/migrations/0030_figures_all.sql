-- Every service figure of issue 19 (docs/architecture.md "Figures"): the rollup gains
-- completions within the promised limit and the limit itself, satisfaction and rectification,
-- payment success; push reach gets a daily rollup per channel; the batch merges in SQL.

-- Element-wise sum of two histograms (arrays of counts, any lengths), and its aggregate. In
-- PL/pgSQL rather than 0028's SQL function: a batch's merge calls it for every row, and a SQL
-- body with a subquery is never inlined (each call would plan a generate_series).
CREATE FUNCTION histogram_add(a integer[], b integer[]) RETURNS integer[] AS $$
DECLARE
    sum integer[];
    i integer;
BEGIN
    IF a IS NULL OR cardinality(a) = 0 THEN
        RETURN coalesce(b, '{}');
    ELSIF b IS NULL OR cardinality(b) = 0 THEN
        RETURN a;
    ELSIF cardinality(a) >= cardinality(b) THEN
        sum := a;
        FOR i IN 1 .. cardinality(b) LOOP
            sum[i] := sum[i] + b[i];
        END LOOP;
    ELSE
        sum := b;
        FOR i IN 1 .. cardinality(a) LOOP
            sum[i] := sum[i] + a[i];
        END LOOP;
    END IF;
    RETURN sum;
END;
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE;

CREATE AGGREGATE histogram_sum (integer[]) (
    SFUNC = histogram_add,
    STYPE = integer[],
    INITCOND = '{}',
    PARALLEL = SAFE
);

-- A histogram of one value: ``cases`` at index ``days`` + 1 (0 days is the first bucket).
CREATE FUNCTION histogram_of(days integer, cases integer) RETURNS integer[] AS $$
    SELECT array_fill(0, ARRAY[days]) || cases
$$ LANGUAGE sql IMMUTABLE PARALLEL SAFE;

-- From the timeline, like 0028's counts: completions on or before the promised deadline, and
-- the promised limit of the completed cases in working days (acceptance → deadline) as a
-- histogram, so "completion time vs the promised limit" compares like with like.
-- Settled figures (below), replaced for the days of a recent window on every run and frozen
-- after: ratings of the day and their bad reviews (levels 1-2) rectified within their 3 working
-- days, payment orders made that day and those paid.
ALTER TABLE figure_days
    ADD COLUMN completed_in_time      integer NOT NULL DEFAULT 0,
    ADD COLUMN promised_days          integer[] NOT NULL DEFAULT '{}',
    ADD COLUMN reviews                integer NOT NULL DEFAULT 0,
    ADD COLUMN good_reviews           integer NOT NULL DEFAULT 0,
    ADD COLUMN bad_reviews            integer NOT NULL DEFAULT 0,
    ADD COLUMN bad_rectified_in_time  integer NOT NULL DEFAULT 0,
    ADD COLUMN payment_orders         integer NOT NULL DEFAULT 0,
    ADD COLUMN payments_paid          integer NOT NULL DEFAULT 0;

-- Push reach per China day (of the message) and channel: inbox (sent = written, read), WeChat,
-- app and SMS (sent incl. delivered; delivered where the provider reports it; failed; WeChat
-- grants missing). Replaced for the recent window on every run, like the settled figures.
CREATE TABLE figure_push_days (
    day           date NOT NULL,
    channel       text NOT NULL CHECK (channel IN ('inbox', 'wechat', 'app', 'sms')),
    sent          integer NOT NULL DEFAULT 0,
    delivered     integer NOT NULL DEFAULT 0,
    read          integer NOT NULL DEFAULT 0,
    failed        integer NOT NULL DEFAULT 0,
    quota_misses  integer NOT NULL DEFAULT 0,
    PRIMARY KEY (day, channel)
);

-- Days before this are settled for good; NULL: never settled (the first run takes all history).
ALTER TABLE figure_progress ADD COLUMN settled_before date;

-- The settled facts are found by day (reviews by rated_at: 0014's index).
CREATE INDEX payment_orders_created ON payment_orders (created_at);
CREATE INDEX inbox_messages_created ON inbox_messages (created_at);

-- A batch updates tens of thousands of rollup rows (counts added) and changes no indexed
-- column: with room left on each page the new versions stay on their page (HOT updates) and
-- none of the four indexes is touched.
ALTER TABLE figure_days SET (fillfactor = 50);
