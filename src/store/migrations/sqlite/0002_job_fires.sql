-- The scheduler's record: one row per fire of a job, claimed before it runs.
CREATE TABLE job_fires (
  job          TEXT    NOT NULL,
  fire_time    INTEGER NOT NULL,
  worker       TEXT    NOT NULL,
  state        TEXT    NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'skipped')),
  claimed_at   INTEGER NOT NULL,
  lease_until  INTEGER NOT NULL,
  finished_at  INTEGER,
  detail       TEXT    NOT NULL DEFAULT '',
  PRIMARY KEY (job, fire_time)
);
