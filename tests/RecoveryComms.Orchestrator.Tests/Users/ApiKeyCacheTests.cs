using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Tests.Users;

/// <summary>The cache's calls in the orders a lookup and a revocation can interleave.</summary>
public sealed class ApiKeyCacheTests
{
    private static readonly KeyHolder Holder = new(Guid.NewGuid(), "csr", Roles.Csr);

    [Fact]
    public void Set_AfterAForgetThatCameAfterTheRead_CachesNothing()
    {
        var cache = new ApiKeyCache(TimeProvider.System);
        var generation = cache.Generation;
        cache.Forget("hash");

        Assert.False(cache.Set("hash", Holder, generation));
        Assert.False(cache.TryGet("hash", out _));
    }

    [Fact]
    public void Set_WithNoForgetSinceTheRead_IsCached()
    {
        var cache = new ApiKeyCache(TimeProvider.System);
        cache.Forget("other");
        var generation = cache.Generation;

        Assert.True(cache.Set("hash", Holder, generation));
        Assert.True(cache.TryGet("hash", out var holder));
        Assert.Equal(Holder, holder);
    }
}
