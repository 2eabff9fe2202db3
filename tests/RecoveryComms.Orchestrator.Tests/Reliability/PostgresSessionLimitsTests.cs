using Microsoft.Extensions.Configuration;
using Npgsql;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Orchestrator.Tests.Reliability;

public sealed class PostgresSessionLimitsTests
{
    [Fact]
    public void ApplyTo_PlainConnectionString_AddsTimeoutsAndKeepalives()
    {
        var builder = new NpgsqlConnectionStringBuilder("Host=db;Username=svc");
        PostgresSessionLimits.Default.ApplyTo(builder);
        Assert.Contains("-c idle_in_transaction_session_timeout=60000", builder.Options, StringComparison.Ordinal);
        Assert.Contains("-c lock_timeout=30000", builder.Options, StringComparison.Ordinal);
        Assert.Contains("-c tcp_keepalives_idle=30", builder.Options, StringComparison.Ordinal);
        Assert.Equal(30, builder.KeepAlive);
        Assert.True(builder.TcpKeepAlive);
    }

    [Fact]
    public void ApplyTo_ConnectionStringThatSetsItsOwn_KeepsThem()
    {
        var builder = new NpgsqlConnectionStringBuilder("Host=db;Keepalive=5;Options=-c lock_timeout=1000");
        PostgresSessionLimits.Default.ApplyTo(builder);
        Assert.Contains("-c lock_timeout=1000", builder.Options, StringComparison.Ordinal);
        Assert.DoesNotContain("lock_timeout=30000", builder.Options, StringComparison.Ordinal);
        Assert.Equal(5, builder.KeepAlive);
    }

    [Theory]
    [InlineData("Postgres:IdleInTransactionTimeout", "00:00:00")]
    [InlineData("Postgres:LockTimeout", "00:00:00.010")]
    [InlineData("Postgres:TcpKeepAliveSeconds", "0")]
    public void FromConfiguration_OutOfRange_IsRefusedAtStart(string key, string value)
    {
        var configuration = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        Assert.Throws<InvalidOperationException>(() => PostgresSessionLimits.FromConfiguration(configuration));
    }
}
