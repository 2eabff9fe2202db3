-- A recorded click-to-call (Recovery__RecordCallbacks): the bridged call's recording, for the manager's review.
ALTER TABLE orchestrator.call_attempts ADD COLUMN recording_sid text, ADD COLUMN recording_url text, ADD COLUMN recording_seconds integer;
