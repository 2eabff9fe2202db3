using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// The load test's yardstick: read the form body and do one INSERT (<see cref="BaselineStore"/>), nothing else. Mapped only when
/// <c>Benchmark:BaselineEndpoint</c> is true, never in production. It checks no signature, so it also takes no
/// more than a webhook may (64 KiB), and its table is not part of the schema: the load tool
/// (tests/RecoveryComms.LoadTest) creates <c>webhooks.benchmark_baseline</c> in the benchmark's database.
/// </summary>
public static class BaselineEndpoint
{
    public const int MaxBodyBytes = 64 * 1024;

    public static IEndpointRouteBuilder MapBenchmarkBaseline(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>("Benchmark:BaselineEndpoint"))
        {
            endpoints.MapPost("/benchmark/baseline", async (HttpRequest request, NpgsqlDataSource dataSource, CancellationToken ct) =>
            {
                // Note: counted while reading, not only from Content-Length, so a chunked body cannot slip past.
                if (request.ContentLength > MaxBodyBytes)
                {
                    return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
                }

                var buffer = new byte[MaxBodyBytes + 1];
                var length = 0;
                int read;
                while (length < buffer.Length && (read = await request.Body.ReadAsync(buffer.AsMemory(length), ct)) > 0)
                {
                    length += read;
                }

                if (length > MaxBodyBytes)
                {
                    return Results.StatusCode(StatusCodes.Status413PayloadTooLarge);
                }

                await BaselineStore.InsertAsync(dataSource, System.Text.Encoding.UTF8.GetString(buffer, 0, length), ct);
                return Results.NoContent();
            }).DisableAntiforgery();
        }

        return endpoints;
    }
}
