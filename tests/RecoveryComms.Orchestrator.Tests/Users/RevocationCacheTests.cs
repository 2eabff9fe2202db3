using System.Net;
using System.Net.Http.Json;
using Dapper;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using RecoveryComms.Hosting.Auth;

namespace RecoveryComms.Orchestrator.Tests.Users;

/// <summary>The orchestrator's key cache never expires here, so whatever it holds after a revocation decides the answer.</summary>
public sealed class FrozenKeyCacheHost : ServicesHost
{
    protected override void ConfigureOrchestrator(IWebHostBuilder web) =>
        web.ConfigureTestServices(services => services.AddSingleton(new ApiKeyCache(new FrozenTimestamps())));

    private sealed class FrozenTimestamps : TimeProvider
    {
        public override long GetTimestamp() => 0;
    }
}

public sealed class RevocationCacheTests(FrozenKeyCacheHost host) : IClassFixture<FrozenKeyCacheHost>
{
    private sealed record Created(Guid Id, Guid KeyId, string ApiKey);

    [Fact]
    public async Task Revoke_WhileARequestReadsTheKeyBeforeTheCommit_TheKeyIsRefusedOnceTheRevocationCommits()
    {
        var admin = await host.CreatorKeyAsync();
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Post, "/api/users", JsonContent.Create(new { name = "Cached csr", role = "csr" })));
        var csr = (await created.Content.ReadFromJsonAsync<Created>())!;
        // A deferred trigger holds the revoking transaction at its commit until this test lets go of an advisory lock.
        var gate = Random.Shared.Next();
        await using var holder = new NpgsqlConnection(host.Database.ConnectionString);
        await holder.OpenAsync();
        await holder.ExecuteAsync($"""
            CREATE FUNCTION orchestrator.hold_commit() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN PERFORM pg_advisory_lock({gate}); PERFORM pg_advisory_unlock({gate}); RETURN NULL; END $$;
            CREATE CONSTRAINT TRIGGER hold_commit AFTER UPDATE ON orchestrator.api_keys DEFERRABLE INITIALLY DEFERRED
                FOR EACH ROW EXECUTE FUNCTION orchestrator.hold_commit();
            """);
        await holder.ExecuteAsync("SELECT pg_advisory_lock(@gate)", new { gate });

        var revoke = host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/users/{csr.Id}/keys/{csr.KeyId}"));
        await RecoveryComms.Testing.Eventually.ValueAsync(
            () => holder.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = @gate::oid)", new { gate = (long)(uint)gate }),
            waiting => waiting, TimeSpan.FromSeconds(10), "the revocation waits at its commit");
        var during = await host.Orchestrator.SendAsync(ServicesHost.As(csr.ApiKey, HttpMethod.Get, "/api/me"));
        await holder.ExecuteAsync("SELECT pg_advisory_unlock(@gate)", new { gate });
        var revoked = await revoke;
        var after = await host.Orchestrator.SendAsync(ServicesHost.As(csr.ApiKey, HttpMethod.Get, "/api/me"));

        Assert.Equal(HttpStatusCode.OK, during.StatusCode);
        Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
    }

    [Fact]
    public async Task Revoke_WhileARequestsReadOfTheLiveKeyIsCachedAfterTheForget_TheKeyIsRefusedOnceTheRevocationCommits()
    {
        var admin = await host.CreatorKeyAsync();
        var created = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Post, "/api/users", JsonContent.Create(new { name = "Raced csr", role = "csr" })));
        var csr = (await created.Content.ReadFromJsonAsync<Created>())!;
        var hash = ApiKeys.Hash(csr.ApiKey);
        // The racy order, driven: the request's key lookup reads the live row (its statement's snapshot is taken),
        // then waits on that very row, in a filter of a view standing in for the table, until this test lets go of an
        // advisory lock; meanwhile the revocation commits and forgets the key; only then does the request cache what
        // it read. (The view's filter runs after the cheaper revoked_at IS NULL, on the row the snapshot shows.)
        var gate = Random.Shared.Next();
        await using var holder = new NpgsqlConnection(host.Database.ConnectionString);
        await holder.OpenAsync();
        await using (var tx = await holder.BeginTransactionAsync())
        {
            await holder.ExecuteAsync($"""
                CREATE FUNCTION orchestrator.hold_key_read(hash text) RETURNS boolean LANGUAGE plpgsql VOLATILE AS $$
                BEGIN
                    IF hash = '{hash}' AND current_query() LIKE 'SELECT user_id, user_name, role FROM%' THEN
                        PERFORM pg_advisory_lock({gate}); PERFORM pg_advisory_unlock({gate});
                    END IF;
                    RETURN true;
                END $$;
                ALTER TABLE orchestrator.api_keys RENAME TO api_keys_held;
                CREATE VIEW orchestrator.api_keys AS SELECT * FROM orchestrator.api_keys_held WHERE orchestrator.hold_key_read(key_hash);
                """, transaction: tx);
            await tx.CommitAsync();
        }

        try
        {
            await holder.ExecuteAsync("SELECT pg_advisory_lock(@gate)", new { gate });
            var during = host.Orchestrator.SendAsync(ServicesHost.As(csr.ApiKey, HttpMethod.Get, "/api/me"));
            await RecoveryComms.Testing.Eventually.ValueAsync(
                () => holder.ExecuteScalarAsync<bool>("SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = @gate::oid)", new { gate = (long)(uint)gate }),
                waiting => waiting, TimeSpan.FromSeconds(10), "the key lookup waits after its read");
            var revoked = await host.Orchestrator.SendAsync(ServicesHost.As(admin, HttpMethod.Delete, $"/api/users/{csr.Id}/keys/{csr.KeyId}"));
            await holder.ExecuteAsync("SELECT pg_advisory_unlock(@gate)", new { gate });
            var answered = await during;
            var after = await host.Orchestrator.SendAsync(ServicesHost.As(csr.ApiKey, HttpMethod.Get, "/api/me"));

            Assert.Equal(HttpStatusCode.NoContent, revoked.StatusCode);
            Assert.Equal(HttpStatusCode.OK, answered.StatusCode);
            Assert.Equal(HttpStatusCode.Unauthorized, after.StatusCode);
        }
        finally
        {
            await using var tx = await holder.BeginTransactionAsync();
            await holder.ExecuteAsync("""
                DROP VIEW orchestrator.api_keys;
                ALTER TABLE orchestrator.api_keys_held RENAME TO api_keys;
                """, transaction: tx);
            await tx.CommitAsync();
        }
    }
}
