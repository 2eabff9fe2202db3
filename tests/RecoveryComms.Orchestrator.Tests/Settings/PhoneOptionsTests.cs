using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using RecoveryComms.Hosting.Phones;

namespace RecoveryComms.Orchestrator.Tests.Settings;

public sealed class PhoneOptionsTests
{
    private static PhoneOptions Read(params (string Key, string Value)[] settings)
    {
        var options = new PhoneOptions();
        PhoneOptions.Read(options, new ConfigurationBuilder().AddInMemoryCollection(settings.Select(s => KeyValuePair.Create(s.Key, (string?)s.Value))).Build());
        return options;
    }

    [Fact]
    public void Read_WithNothingSet_IsUS() => Assert.Equal(("US", null), (Read().DefaultRegion, Read().ReadFrom));

    [Fact]
    public void Read_PhonesKey_WinsOverTheDeprecatedOnes() =>
        Assert.Equal("CA", Read(("Consent:DefaultRegion", "GB"), ("Phones:DefaultRegion", "ca"), ("Webhooks:DefaultRegion", "AU")).DefaultRegion);

    [Fact]
    public void Read_OnlyDeprecatedKeys_TakesConsentsThenWebhooks()
    {
        Assert.Equal(("GB", "Consent:DefaultRegion"), (Read(("Consent:DefaultRegion", "GB"), ("Webhooks:DefaultRegion", "AU")) is var both ? (both.DefaultRegion, both.ReadFrom) : default));
        Assert.Equal(("AU", "Webhooks:DefaultRegion"), (Read(("Webhooks:DefaultRegion", "AU")) is var one ? (one.DefaultRegion, one.ReadFrom) : default));
    }

    [Fact]
    public void Validate_AnUnknownRegion_NamesTheKeyItCameFrom()
    {
        var options = Read(("Consent:DefaultRegion", "USA"));

        var error = Assert.Single(options.Validate(new ValidationContext(options)));

        Assert.Contains("Consent:DefaultRegion", error.ErrorMessage, StringComparison.Ordinal);
    }
}
