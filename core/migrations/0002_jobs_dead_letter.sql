-- Dead letters: jobs whose handler failed terminally are parked by pgqueuer with status
-- 'failed' (entrypoints registered with on_failure='hold'). This view gives staff the job,
-- its attempts and the last traceback, so a job is never lost silently.
CREATE VIEW job_dead_letters AS
SELECT j.id,
       j.entrypoint,
       j.attempts,
       j.dedupe_key,
       j.created,
       j.updated,
       convert_from(j.payload, 'UTF8') AS payload,
       (SELECT l.traceback
          FROM pgqueuer_log l
         WHERE l.job_id = j.id AND l.traceback IS NOT NULL
         ORDER BY l.id DESC
         LIMIT 1) AS last_error
  FROM pgqueuer j
 WHERE j.status = 'failed';
