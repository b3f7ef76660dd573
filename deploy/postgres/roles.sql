-- tilefleet PostgreSQL roles. Run as a superuser (or a role with CREATEROLE that owns the
-- database), connected to the tilefleet database:
--
--   psql -d tilefleet -v ON_ERROR_STOP=1 -f deploy/postgres/roles.sql
--   psql -d tilefleet -v ON_ERROR_STOP=1 -v writer=tf_writer -v reader=tf_reader -f roles.sql
--
-- Idempotent. No passwords here: set them afterwards interactively, e.g.
--   psql -d tilefleet -c '\password tilefleet_writer'
-- (psql prompts and sends only the SCRAM hash).
--
-- writer (default tilefleet_writer): the role of `tilefleet migrate`, the recorder, the
--   coordinator and the operator commands (submit, cancel, retry, resume, …). Run `tilefleet
--   migrate` AS THIS ROLE so it OWNS every table, view, function and sequence the migrations
--   create; owning them is what later migrations need (ALTER/DROP/CREATE OR REPLACE). It gets
--   CREATE on schema public for that (PostgreSQL 15 no longer grants it to PUBLIC).
-- recorder (default tilefleet_recorder): the recorder only. It reads tasks and tiles, inserts
--   events, assets, backend jobs and rejected events, moves tiles forward and keeps the watermark,
--   through a temporary table per batch. It cannot create or delete tasks, delete anything or
--   change the schema. Its grants are per table: run this file again after every `tilefleet
--   migrate` (tables that do not exist yet are skipped).
-- reader (default tilefleet_reader): read-only reporting users — SELECT on every table and view
--   (task_progress, backend_stats, failures, slowest_tiles, tile_timeline, …), including the ones
--   future migrations create (default privileges of the writer).

\if :{?writer}
\else
  \set writer tilefleet_writer
\endif
\if :{?reader}
\else
  \set reader tilefleet_reader
\endif
\if :{?recorder}
\else
  \set recorder tilefleet_recorder
\endif

SELECT format('CREATE ROLE %I LOGIN', :'writer')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'writer') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'reader')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'reader') \gexec
SELECT format('CREATE ROLE %I LOGIN', :'recorder')
WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = :'recorder') \gexec

-- Both may connect to this database (and only through their grants do anything in it).
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'writer') \gexec
SELECT format('GRANT CONNECT ON DATABASE %I TO %I', current_database(), :'reader') \gexec
SELECT format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO %I', current_database(), :'recorder') \gexec

-- The writer creates and owns the schema objects.
GRANT USAGE, CREATE ON SCHEMA public TO :"writer";

-- Objects that already exist (a database migrated by another role): the writer may use them.
-- Prefer `REASSIGN OWNED BY <old role> TO <writer>` (see README.md) so it also owns them.
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO :"writer";
GRANT USAGE, SELECT, UPDATE ON ALL SEQUENCES IN SCHEMA public TO :"writer";

-- The reader: SELECT on what exists now, and on what the writer creates later.
GRANT USAGE ON SCHEMA public TO :"reader";
GRANT SELECT ON ALL TABLES IN SCHEMA public TO :"reader";
ALTER DEFAULT PRIVILEGES FOR ROLE :"writer" IN SCHEMA public GRANT SELECT ON TABLES TO :"reader";

-- The recorder: exactly what applying events needs, table by table (nothing on schema public
-- but USAGE, so no CREATE; no DELETE or TRUNCATE anywhere; nothing on post_jobs).
GRANT USAGE ON SCHEMA public TO :"recorder";
SELECT format('GRANT SELECT ON %I TO %I', t, :'recorder')
FROM unnest(ARRAY['schema_migrations', 'tasks', 'tiles', 'events', 'backend_jobs', 'assets', 'rejected_events', 'recorder_watermark']) AS t
WHERE to_regclass(t) IS NOT NULL \gexec
SELECT format('GRANT INSERT ON %I TO %I', t, :'recorder')
FROM unnest(ARRAY['events', 'backend_jobs', 'assets', 'rejected_events', 'recorder_watermark']) AS t
WHERE to_regclass(t) IS NOT NULL \gexec
SELECT format('GRANT UPDATE ON %I TO %I', t, :'recorder')
FROM unnest(ARRAY['tiles', 'backend_jobs', 'assets', 'recorder_watermark']) AS t
WHERE to_regclass(t) IS NOT NULL \gexec
SELECT format('GRANT USAGE ON SEQUENCE %s TO %I', s.oid::regclass, :'recorder')
FROM pg_class s JOIN pg_namespace n ON n.oid = s.relnamespace
WHERE s.relkind = 'S' AND n.nspname = 'public' \gexec
