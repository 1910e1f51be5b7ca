-- The rollup's batch builds its histograms in one pass (docs/architecture.md "Figures"): an
-- aggregate that counts values into a histogram directly, so the batch no longer groups its
-- moves by slice, kind and working days first, then makes a one-value array of each group
-- (`histogram_of`) and adds them element-wise (`histogram_sum`, a loop per group).

-- One more case at index ``days`` + 1 (0 days is the first bucket), the array grown with zeros
-- as needed; a NULL ``days`` counts nothing.
CREATE FUNCTION histogram_tally(h integer[], days integer) RETURNS integer[] AS $$
BEGIN
    IF days IS NULL THEN
        RETURN h;
    ELSIF h IS NULL THEN
        h := array_fill(0, ARRAY[days + 1]);
    ELSIF cardinality(h) <= days THEN
        h := h || array_fill(0, ARRAY[days + 1 - cardinality(h)]);
    END IF;
    h[days + 1] := h[days + 1] + 1;
    RETURN h;
END;
$$ LANGUAGE plpgsql IMMUTABLE PARALLEL SAFE;

-- The histogram of the values aggregated (NULL over no rows).
CREATE AGGREGATE histogram_count (integer) (
    SFUNC = histogram_tally,
    STYPE = integer[],
    PARALLEL = SAFE
);
