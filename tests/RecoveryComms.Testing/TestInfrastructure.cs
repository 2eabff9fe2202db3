using DotNet.Testcontainers.Builders;
using DotNet.Testcontainers.Containers;
using Npgsql;
using Testcontainers.PostgreSql;

namespace RecoveryComms.Testing;

/// <summary>
/// The real PostgreSQL and RabbitMQ the integration tests run against. Here (no Docker engine)
/// <c>./infra/dev.sh test</c> starts them as local processes and passes them in
/// <c>RECOVERYCOMMS_TEST_POSTGRES</c> and <c>RECOVERYCOMMS_TEST_RABBITMQ</c>; where a Docker engine answers
/// and those are unset, Testcontainers starts them. Never an in-memory stand-in.
/// </summary>
public static class TestInfrastructure
{
    private static readonly SemaphoreSlim Gate = new(1, 1);
    private static string? _postgres;
    private static Uri? _rabbitMq;

    /// <summary>A connection string to the server's maintenance database (used to create test databases).</summary>
    public static async Task<string> PostgresAsync()
    {
        await EnsureAsync();
        return _postgres!;
    }

    /// <summary><c>amqp://user:pass@host:port/</c> of the broker.</summary>
    public static async Task<Uri> RabbitMqAsync()
    {
        await EnsureAsync();
        return _rabbitMq!;
    }

    private static bool DockerAnswers() =>
        File.Exists("/var/run/docker.sock") || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("DOCKER_HOST"));

    private static async Task EnsureAsync()
    {
        await Gate.WaitAsync();
        try
        {
            if (_postgres is not null)
            {
                return;
            }

            var postgres = Environment.GetEnvironmentVariable("RECOVERYCOMMS_TEST_POSTGRES");
            var rabbit = Environment.GetEnvironmentVariable("RECOVERYCOMMS_TEST_RABBITMQ");
            if ((string.IsNullOrEmpty(postgres) || string.IsNullOrEmpty(rabbit)) && !DockerAnswers())
            {
                throw new InvalidOperationException(
                    "Integration tests need PostgreSQL and RabbitMQ: run them with ./infra/dev.sh test, or set RECOVERYCOMMS_TEST_POSTGRES " +
                    "and RECOVERYCOMMS_TEST_RABBITMQ, or run where a Docker engine answers (Testcontainers).");
            }

            if (string.IsNullOrEmpty(postgres))
            {
                var container = new PostgreSqlBuilder("postgres:15").Build();
                await container.StartAsync();
                postgres = container.GetConnectionString();
            }

            if (string.IsNullOrEmpty(rabbit))
            {
                IContainer container = new ContainerBuilder("rabbitmq:3-management")
                    .WithPortBinding(5672, true)
                    .WithWaitStrategy(Wait.ForUnixContainer().UntilMessageIsLogged("Server startup complete"))
                    .Build();
                await container.StartAsync();
                rabbit = $"amqp://guest:guest@{container.Hostname}:{container.GetMappedPublicPort(5672)}/";
            }

            _rabbitMq = new Uri(rabbit);
            _postgres = postgres;
        }
        finally
        {
            Gate.Release();
        }
    }
}

/// <summary>A fresh, empty database for one test class: tests never see each other's rows.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private readonly string _admin;

    private TestDatabase(string admin, string name, string connectionString)
    {
        _admin = admin;
        Name = name;
        ConnectionString = connectionString;
    }

    public string Name { get; }

    public string ConnectionString { get; }

    public static async Task<TestDatabase> CreateAsync()
    {
        var admin = await TestInfrastructure.PostgresAsync();
        var name = "rc_test_" + Guid.NewGuid().ToString("N")[..16];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var create = new NpgsqlCommand($"CREATE DATABASE {name}", connection);
            await create.ExecuteNonQueryAsync();
        }

        var builder = new NpgsqlConnectionStringBuilder(admin) { Database = name };
        return new TestDatabase(admin, name, builder.ConnectionString);
    }

    /// <summary>The same database reached through another host and port (a <see cref="TcpToggleProxy"/>).</summary>
    public string Via(int port) =>
        new NpgsqlConnectionStringBuilder(ConnectionString) { Host = "127.0.0.1", Port = port, Timeout = 3 }.ConnectionString;

    public async ValueTask DisposeAsync()
    {
        NpgsqlConnection.ClearAllPools();
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        await using var drop = new NpgsqlCommand($"DROP DATABASE IF EXISTS {Name} WITH (FORCE)", connection);
        await drop.ExecuteNonQueryAsync();
    }
}
