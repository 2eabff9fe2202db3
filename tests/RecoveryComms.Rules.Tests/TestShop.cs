using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Options;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator;
using RecoveryComms.Orchestrator.Settings;

namespace RecoveryComms.Rules.Tests;

/// <summary>
/// The orchestrator's shop settings built in memory from configuration alone (no saved row): the defaults are
/// Chicago, Monday to Friday 08:00-18:00, Saturday 09:00-13:00, a 5-minute first-attempt target, a 15-minute SLA,
/// after-hours items due by 08:30 and promised callbacks checked 30 minutes before.
/// </summary>
internal static class TestShop
{
    public static ShopSettings NewSettings(
        Action<RecoveryOptions>? recovery = null, Action<BusinessOptions>? business = null, IReadOnlyList<string>? ringGroup = null)
    {
        var r = new RecoveryOptions();
        recovery?.Invoke(r);
        var b = new BusinessOptions();
        business?.Invoke(b);
        var configuration = new ConfigurationBuilder()
            .AddInMemoryCollection((ringGroup ?? []).Select((number, i) => KeyValuePair.Create(
                string.Create(CultureInfo.InvariantCulture, $"Webhooks:RingGroup:{i}"), (string?)number)))
            .Build();
        return new ShopSettings(Options.Create(r), Options.Create(b), configuration, new ShopCalendar(Options.Create(b)));
    }

    /// <summary>Opening hours as configuration writes them (<c>Monday</c> → <c>08:00-18:00</c>).</summary>
    public static Dictionary<string, string> Hours(params (string Day, string Range)[] days) =>
        days.ToDictionary(d => d.Day, d => d.Range, StringComparer.OrdinalIgnoreCase);

    /// <summary>An instant written with its offset (<c>2026-03-09T08:00-05:00</c>), so a table shows the local time and DST.</summary>
    public static DateTimeOffset At(string text) => DateTimeOffset.Parse(text, CultureInfo.InvariantCulture);
}
