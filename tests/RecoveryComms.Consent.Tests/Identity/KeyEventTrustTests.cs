using System.Net;
using System.Security.Cryptography;
using MassTransit;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Contracts.Identity;
using RecoveryComms.Hosting.Auth;
using RecoveryComms.Hosting.Messaging;
using RecoveryComms.Testing;

namespace RecoveryComms.Consent.Tests.Identity;

/// <summary>The key owner as the test hosts know it (Development: the public dev key), and a forger with a key of its own.</summary>
internal static class KeyEventSigners
{
    public static readonly KeyEventSigner Owner = KeyEventSigner.WithKey(KeyEventSignatures.DevelopmentPrivateKey);

    public static readonly KeyEventSigner Forger = NewSigner();

    private static KeyEventSigner NewSigner()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        return KeyEventSigner.WithKey(Convert.ToBase64String(key.ExportPkcs8PrivateKey()));
    }
}

// Anyone with broker credentials can publish ApiKeyIssued: the consent service stores only keys the key owner signed.
public sealed class KeyEventTrustTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    private async Task PublishAsync(object message)
    {
        var bus = await host.BusAsync();
        try
        {
            await bus.Publish(message, message.GetType());
        }
        finally
        {
            await bus.StopAsync();
        }
    }

    private async Task<long> ParkedAsync() =>
        (await host.Services.GetRequiredService<ErrorQueues>().CountAsync(CancellationToken.None)).Values.Sum();

    [Theory]
    [InlineData("unsigned")]
    [InlineData("signed-by-another-key")]
    [InlineData("owner-signed-then-changed")]
    public async Task ApiKeyIssued_WithoutTheOwnersSignature_NeverMakesTheKeyUsable(string how)
    {
        var key = ApiKeys.NewKey();
        var issued = new ApiKeyIssued(Guid.NewGuid(), Guid.NewGuid(), "Mallory", "compliance", ApiKeys.Hash(key), DateTimeOffset.UtcNow);
        object message = how switch
        {
            "unsigned" => issued,
            "signed-by-another-key" => KeyEventSigners.Forger.Sign(issued),
            _ => KeyEventSigners.Owner.Sign(issued with { Role = "csr" }) with { Role = "compliance" },
        };
        var parkedBefore = await ParkedAsync();

        await PublishAsync(message);

        // Done once the key reads the ledger (the flaw) or the event is parked as poison (three tries, then _error).
        var (status, _) = await Eventually.ValueAsync(
            async () => ((await host.SendAsync(key, HttpMethod.Get, "/api/consent/events")).StatusCode, await ParkedAsync()),
            r => r.Item1 == HttpStatusCode.OK || r.Item2 > parkedBefore, TimeSpan.FromSeconds(30), "the forged event is stored or parked");
        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal(0L, await host.ScalarAsync<long>("SELECT count(*) FROM consent.api_keys WHERE key_id = @id", new { id = issued.KeyId }));
    }

    [Fact]
    public async Task ApiKeyIssued_SignedByTheOwner_MakesTheKeyUsable()
    {
        var key = ApiKeys.NewKey();

        await PublishAsync(KeyEventSigners.Owner.Sign(new ApiKeyIssued(Guid.NewGuid(), Guid.NewGuid(), "Cy", "compliance", ApiKeys.Hash(key), DateTimeOffset.UtcNow)));

        await Eventually.ValueAsync(async () => (await host.SendAsync(key, HttpMethod.Get, "/api/consent/events")).StatusCode,
            s => s == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "the signed key is stored");
    }

    [Fact]
    public async Task ApiKeyRevoked_Unsigned_DoesNotRevoke()
    {
        var key = await host.KeyAsync("compliance");
        var (keyId, userId) = (await host.QueryAsync<(Guid, Guid)>("SELECT key_id, user_id FROM consent.api_keys WHERE key_hash = @hash", new { hash = ApiKeys.Hash(key) }))[0];
        var parkedBefore = await ParkedAsync();

        await PublishAsync(new ApiKeyRevoked(keyId, userId, DateTimeOffset.UtcNow));

        await Eventually.ValueAsync(ParkedAsync, parked => parked > parkedBefore, TimeSpan.FromSeconds(30), "the unsigned revocation is parked");
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(key, HttpMethod.Get, "/api/consent/events")).StatusCode);
    }
}

// One heartbeat dated in the future used to keep the replica "fresh" for good (GREATEST kept it): the time stored is
// never later than the replica's own clock, so the lockout returns once the owner is silent.
public sealed class FutureHeartbeatTests(StaleConsentHost host) : IClassFixture<StaleConsentHost>
{
    [Fact]
    public async Task ApiKeyHeartbeat_DatedInTheFuture_DoesNotKeepAStaleReplicaOpen()
    {
        var compliance = await host.KeyAsync("compliance");
        var bus = await host.BusAsync();
        try
        {
            await bus.Publish(KeyEventSigners.Owner.Sign(new ApiKeyHeartbeat(DateTimeOffset.UtcNow.AddHours(1), [])));
        }
        finally
        {
            await bus.StopAsync();
        }

        await Eventually.ValueAsync(() => host.ScalarAsync<long>("SELECT count(*) FROM consent.api_key_heartbeat"), n => n == 1,
            TimeSpan.FromSeconds(20), "the heartbeat is stored");
        Assert.True(await host.ScalarAsync<bool>("SELECT published_at <= now() FROM consent.api_key_heartbeat"));
        await Eventually.ValueAsync(async () => (await host.SendAsync(compliance, HttpMethod.Get, "/api/consent/events")).StatusCode,
            s => s == HttpStatusCode.ServiceUnavailable, TimeSpan.FromSeconds(20), "the replica turns stale once the heartbeat's real age passes the limit");
    }
}
