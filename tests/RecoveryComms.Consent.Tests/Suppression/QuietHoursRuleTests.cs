using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using RecoveryComms.Consent.Suppression;

namespace RecoveryComms.Consent.Tests.Suppression;

/// <summary>Its own host: a window widened here must not leak into other tests' decisions.</summary>
public sealed class QuietHoursRuleTests(ConsentHost host) : IClassFixture<ConsentHost>
{
    [Theory]
    [InlineData("default", "07:00", "21:00")]
    [InlineData("default", "08:00", "22:30")]
    [InlineData("US-FL", "06:00", "20:00")]
    public async Task SetWindow_WiderThanTheFederalWindow_Is400(string region, string opens, string closes)
    {
        var compliance = await host.KeyAsync("compliance");

        var response = await host.SendAsync(compliance, HttpMethod.Put, $"/api/quiet-hours/{region}",
            JsonContent.Create(new { opensAt = opens, closesAt = closes, sourceNote = "the shop wants more" }));

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await response.Content.ReadFromJsonAsync<JsonElement>();
        Assert.EndsWith("/quiet-hours-too-wide", problem.GetProperty("type").GetString(), StringComparison.Ordinal);
        Assert.Contains("08:00", problem.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task SetWindow_Stricter_IsAccepted()
    {
        var compliance = await host.KeyAsync("compliance");

        var response = await host.SendAsync(compliance, HttpMethod.Put, "/api/quiet-hours/US-TX",
            JsonContent.Create(new { opensAt = "09:00", closesAt = "21:00", sourceNote = "Tex. Bus. & Com. Code 304.151 (example)" }));

        Assert.Equal(HttpStatusCode.NoContent, response.StatusCode);
    }

    [Theory]
    // Guam (UTC+10): libphonenumber's zone map answers Etc/Unknown; the number's region (GU) gives Pacific/Guam.
    // 06:50 UTC is 16:50 in Guam (open) and 00:50 in the shop's Chicago (closed).
    [InlineData("+16718341234", "2026-11-18T06:50:00Z", true)]
    [InlineData("+16713001234", "2026-11-18T06:50:00Z", true)]
    // 21:30 UTC is 07:30 in Guam (closed) and 15:30 in Chicago (open).
    [InlineData("+16718341234", "2026-11-18T21:30:00Z", false)]
    public async Task QuietHours_ZoneFromTheNumbersRegion_WhenTheZoneMapHasNone(string phone, string utc, bool open)
    {
        var quietHours = host.Services.GetRequiredService<QuietHours>();

        var within = await quietHours.IsWithinAsync(phone, null, DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture), default);

        Assert.Equal(open, within);
    }

    [Theory]
    // 18:00 UTC is 04:00 in Guam (closed) and 13:00 in New York (open): the account's zone must not open it.
    [InlineData("2026-11-18T18:00:00Z", false)]
    // 06:50 UTC is 16:50 in Guam (open) and 01:50 in New York (closed): the stricter zone still wins.
    [InlineData("2026-11-18T06:50:00Z", false)]
    // 23:00 UTC is 09:00 in Guam and 18:00 in New York: open in both.
    [InlineData("2026-11-18T23:00:00Z", true)]
    public async Task QuietHours_AccountZone_JoinsTheNumbersZones_NeverReplacesThem(string utc, bool open)
    {
        var quietHours = host.Services.GetRequiredService<QuietHours>();

        var within = await quietHours.IsWithinAsync("+16718341234", "America/New_York", DateTimeOffset.Parse(utc, CultureInfo.InvariantCulture), default);

        Assert.Equal(open, within);
    }

    /// <summary>The finding as reproduced: a Guam number in an account whose zone is New York, texted at 03:00 Guam time.</summary>
    [Fact]
    public async Task Sms_ToAGuamNumberInANewYorkAccount_AtNightInGuam_IsRefusedForQuietHours()
    {
        host.Clock.Now = ConsentHost.Midday; // 17:00 UTC: 03:00 in Guam, 12:00 in New York
        var phone = "+1671834" + Random.Shared.Next(1000, 9999).ToString(CultureInfo.InvariantCulture);
        var store = host.Services.GetRequiredService<RecoveryComms.Consent.Ledger.ConsentStore>();
        await store.ChangeAsync(new RecoveryComms.Consent.Ledger.ConsentChange(
            phone, "sms", RecoveryComms.Consent.Ledger.ConsentStates.Express, "api", null, "tester", "signed", host.Clock.Now), default);
        await using (var c = new Npgsql.NpgsqlConnection(host.Database.ConnectionString))
        {
            var account = Guid.NewGuid();
            await Dapper.SqlMapper.ExecuteAsync(c,
                """
                INSERT INTO consent.accounts (id, external_ref, name, time_zone, created_at, updated_at)
                VALUES (@account, @account::text, 'Guam customer', 'America/New_York', now(), now());
                INSERT INTO consent.account_phones (phone, account_id) VALUES (@phone, @account);
                """, new { account, phone });
        }

        var decision = await host.Services.GetRequiredService<SuppressionPolicy>().DecideAsync(phone, "sms", default);

        Assert.False(decision.Allowed);
        Assert.Contains("quiet-hours", decision.Reasons);
    }

    [Fact]
    public async Task Sms_ToANumberWithNoKnownZone_IsRefusedAsZoneUnknown_NotJudgedInTheShopsZone()
    {
        host.Clock.Now = ConsentHost.Midday;
        // +800: International Freephone, no country and no zone.
        var decision = await host.Services.GetRequiredService<SuppressionPolicy>().DecideAsync("+80012345678", "sms", default);

        Assert.Contains("zone-unknown", decision.Reasons);
        Assert.DoesNotContain("quiet-hours", decision.Reasons);
        Assert.False(decision.Allowed);
    }
}
