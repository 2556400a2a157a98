-- FerretDB 1.24 on PostgreSQL finds a document by _id with `_jsonb->'_id' @> $2`,
-- which its own btree index on (_jsonb->'_id') cannot serve: every lookup by _id
-- scans the whole collection (12 ms at 50k orders). A GIN index on the same
-- expression serves @>, so every collection table FerretDB creates gets one.
-- Custom plans keep the key a constant the planner can match to the index.
-- Local infrastructure only: real MongoDB (compose, k8s) looks _id up by index.
-- Idempotent; run on each `infra:up`.

ALTER DATABASE ferretdb SET plan_cache_mode = force_custom_plan;

CREATE OR REPLACE FUNCTION ferretdb_index_id_lookups() RETURNS event_trigger LANGUAGE plpgsql AS $$
DECLARE
  created record;
BEGIN
  FOR created IN
    SELECT c.oid::regclass AS tbl, c.relname
      FROM pg_event_trigger_ddl_commands() d
      JOIN pg_class c ON c.oid = d.objid
     WHERE d.command_tag = 'CREATE TABLE' AND c.relname NOT LIKE '\_ferretdb\_%'
       AND EXISTS (SELECT 1 FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = '_jsonb')
  LOOP
    EXECUTE format('CREATE INDEX %I ON %s USING gin ((_jsonb->''_id'') jsonb_path_ops)',
                   left(created.relname, 50) || '_id_lookup', created.tbl);
  END LOOP;
END
$$;

DROP EVENT TRIGGER IF EXISTS ferretdb_index_id_lookups;
CREATE EVENT TRIGGER ferretdb_index_id_lookups ON ddl_command_end WHEN TAG IN ('CREATE TABLE')
  EXECUTE FUNCTION ferretdb_index_id_lookups();
