-- Only for the load test (docs/benchmarks.md): the baseline endpoint, mapped when Benchmark:BaselineEndpoint
-- is true, inserts one row here per request, so the capture pipeline can be compared with "one INSERT".
CREATE TABLE webhooks.benchmark_baseline (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    body        text        NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now()
);
