-- The benchmark's baseline table (0004) does not belong in the production schema: the load tool
-- (tests/RecoveryComms.LoadTest) creates it in the benchmark's own database when it runs.
DROP TABLE IF EXISTS webhooks.benchmark_baseline;
