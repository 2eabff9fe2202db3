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
    private readonly List<string> _logins = [];

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

    /// <summary>
    /// A login of its own in the group role of <paramref name="schema"/> (<c>recoverycomms_&lt;schema&gt;_app</c>), as
    /// <c>infra/dev.sh</c> runs that schema's service: it holds only what the migrations grant that group. Returns a
    /// connection string to this database as that login; the login is dropped with the database. Pair it with
    /// <c>ConnectionStrings:PostgresMigrations</c> set to <see cref="ConnectionString"/>, so the migrations run as the owner.
    /// </summary>
    public async Task<string> AppLoginAsync(string schema)
    {
        ArgumentException.ThrowIfNullOrEmpty(schema);
        if (!schema.All(char.IsAsciiLetterLower))
        {
            throw new ArgumentException($"Not a schema of ours: {schema}", nameof(schema));
        }

        var group = $"recoverycomms_{schema}_app";
        var login = "rc_app_" + Guid.NewGuid().ToString("N")[..16];
        var password = Guid.NewGuid().ToString("N");
        await using var connection = new NpgsqlConnection(_admin);
        await connection.OpenAsync();
        // Note: roles belong to the whole server and other test processes migrate at the same time, so the group
        // may appear between the check and the CREATE: a duplicate is what we wanted anyway.
        try
        {
            await using var create = new NpgsqlCommand(
                $"DO $$ BEGIN IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{group}') THEN CREATE ROLE {group} NOLOGIN; END IF; END $$",
                connection);
            await create.ExecuteNonQueryAsync();
        }
        catch (PostgresException e) when (e.SqlState is PostgresErrorCodes.DuplicateObject or PostgresErrorCodes.UniqueViolation)
        {
        }

        await using (var create = new NpgsqlCommand($"CREATE ROLE {login} LOGIN PASSWORD '{password}' IN ROLE {group}", connection))
        {
            await create.ExecuteNonQueryAsync();
        }

        _logins.Add(login);
        return new NpgsqlConnectionStringBuilder(ConnectionString) { Username = login, Password = password }.ConnectionString;
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
        foreach (var login in _logins)
        {
            await using var dropLogin = new NpgsqlCommand($"DROP ROLE IF EXISTS {login}", connection);
            await dropLogin.ExecuteNonQueryAsync();
        }
    }
}
