using Dapper;
using MassTransit;
using Npgsql;
using RecoveryComms.Contracts.Identity;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Users;

// The consent service's copy of the keys must survive what a broker does: the same event twice, and events
// out of order. Each event is signed as the owner signs it (the hosts run in Development, with the dev key).
public sealed class KeyReplicaTests(ServicesHost host) : IClassFixture<ServicesHost>
{
    private static readonly KeyEventSigner Owner = KeyEventSigner.WithKey(KeyEventSignatures.DevelopmentPrivateKey);

    private static object Signed(object message) => message switch
    {
        ApiKeyIssued issued => Owner.Sign(issued),
        ApiKeyRevoked revoked => Owner.Sign(revoked),
        ApiKeyHeartbeat heartbeat => Owner.Sign(heartbeat),
        _ => message,
    };

    private async Task PublishAsync(params object[] messages)
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        var bus = Bus.Factory.CreateUsingRabbitMq(cfg =>
        {
            cfg.Host(rabbit);
            cfg.MessageTopology.SetEntityNameFormatter(new PrefixedEntityNameFormatter(cfg.MessageTopology.EntityNameFormatter, host.Prefix));
        });
        await bus.StartAsync();
        try
        {
            foreach (var message in messages.Select(Signed))
            {
                await bus.Publish(message, message.GetType(), context => context.MessageId = Guid.NewGuid());
            }
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private async Task<(long Rows, bool Revoked)> ReplicaAsync(Guid keyId)
    {
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        return await connection.QuerySingleAsync<(long, bool)>(
            "SELECT count(*), coalesce(bool_or(revoked_at IS NOT NULL), false) FROM consent.api_keys WHERE key_id = @keyId", new { keyId });
    }

    [Fact]
    public async Task ApiKeyIssued_DeliveredTwice_LeavesOneRow()
    {
        var issued = new ApiKeyIssued(Guid.NewGuid(), Guid.NewGuid(), "Ann", "csr", Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow);

        await PublishAsync(issued, issued);

        Assert.Equal((1L, false), await Eventually.ValueAsync(() => ReplicaAsync(issued.KeyId), r => r.Rows == 1, TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task ApiKeyRevoked_BeforeItsIssue_StaysRevoked()
    {
        var keyId = Guid.NewGuid();
        var userId = Guid.NewGuid();
        var issued = new ApiKeyIssued(keyId, userId, "Bo", "manager", Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow);

        await PublishAsync(new ApiKeyRevoked(keyId, userId, DateTimeOffset.UtcNow));
        await Eventually.ValueAsync(() => ReplicaAsync(keyId), r => r.Rows == 1, TimeSpan.FromSeconds(10));
        await PublishAsync(issued);

        await Eventually.ValueAsync(async () =>
        {
            await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
            return await connection.ExecuteScalarAsync<string>("SELECT role FROM consent.api_keys WHERE key_id = @keyId", new { keyId });
        }, role => role == "manager", TimeSpan.FromSeconds(10));
        Assert.Equal((1L, true), await ReplicaAsync(keyId));
    }

    [Fact]
    public async Task ApiKeyHeartbeat_AppliesTheRevocationsItCarries_AndStoresNoTimeLaterThanItsOwnClock()
    {
        var keyId = Guid.NewGuid();
        var userId = Guid.NewGuid();
        await PublishAsync(new ApiKeyIssued(keyId, userId, "Cy", "compliance", Guid.NewGuid().ToString("N") + Guid.NewGuid().ToString("N"), DateTimeOffset.UtcNow));
        await Eventually.ValueAsync(() => ReplicaAsync(keyId), r => r.Rows == 1, TimeSpan.FromSeconds(10));
        var at = DateTimeOffset.UtcNow.AddMinutes(5);

        await PublishAsync(new ApiKeyHeartbeat(at, [new ApiKeyRevoked(keyId, userId, DateTimeOffset.UtcNow)]));

        Assert.Equal((1L, true), await Eventually.ValueAsync(() => ReplicaAsync(keyId), r => r.Revoked, TimeSpan.FromSeconds(10)));
        await using var connection = new NpgsqlConnection(host.Database.ConnectionString);
        // Note: the orchestrator's own heartbeats arrive too, so only the bound is asserted: the future time was clamped.
        Assert.True(await connection.QuerySingleAsync<bool>("SELECT published_at <= now() FROM consent.api_key_heartbeat"));
    }
}
