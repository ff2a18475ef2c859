-- The scheduler's record: one row per fire of a job, claimed before it runs.
CREATE TABLE job_fires (
  job          TEXT        NOT NULL,
  fire_time    TIMESTAMPTZ NOT NULL,
  worker       TEXT        NOT NULL,
  state        TEXT        NOT NULL CHECK (state IN ('running', 'succeeded', 'failed', 'skipped')),
  claimed_at   TIMESTAMPTZ NOT NULL,
  lease_until  TIMESTAMPTZ NOT NULL,
  finished_at  TIMESTAMPTZ,
  detail       TEXT        NOT NULL DEFAULT '',
  PRIMARY KEY (job, fire_time)
);
