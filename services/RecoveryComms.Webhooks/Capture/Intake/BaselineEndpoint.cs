using Npgsql;

namespace RecoveryComms.Webhooks.Capture.Intake;

/// <summary>
/// The load test's yardstick: read the form body and do one INSERT, nothing else. Mapped only when
/// <c>Benchmark:BaselineEndpoint</c> is true, never in production.
/// </summary>
public static class BaselineEndpoint
{
    public static IEndpointRouteBuilder MapBenchmarkBaseline(this IEndpointRouteBuilder endpoints, IConfiguration configuration)
    {
        if (configuration.GetValue<bool>("Benchmark:BaselineEndpoint"))
        {
            endpoints.MapPost("/benchmark/baseline", async (HttpRequest request, NpgsqlDataSource dataSource) =>
            {
                using var reader = new StreamReader(request.Body);
                var body = await reader.ReadToEndAsync();
                await using var command = dataSource.CreateCommand("INSERT INTO webhooks.benchmark_baseline (body) VALUES (@body)");
                command.Parameters.AddWithValue("body", body);
                await command.ExecuteNonQueryAsync();
                return Results.NoContent();
            }).DisableAntiforgery();
        }

        return endpoints;
    }
}
