using System.ComponentModel.DataAnnotations;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PhoneNumbers;

namespace RecoveryComms.Hosting.Phones;

/// <summary>
/// How every service reads a phone number written without a country code (<c>Phones</c> section): one region for
/// the whole system, read by <see cref="ServiceDefaults"/> in every service.
/// </summary>
public sealed class PhoneOptions : IValidatableObject
{
    public const string Section = "Phones";

    /// <summary>
    /// The keys read before this one, still honoured (deprecated) when <c>Phones:DefaultRegion</c> is not set, the
    /// first one set winning: deployments set <c>Consent__DefaultRegion</c>, which the orchestrator read too.
    /// </summary>
    public static readonly IReadOnlyList<string> DeprecatedKeys = ["Consent:DefaultRegion", "Webhooks:DefaultRegion"];

    /// <summary>An ISO 3166 region libphonenumber knows, e.g. <c>US</c> (the default), <c>CA</c>, <c>GB</c>.</summary>
    [Required]
    public string DefaultRegion { get; set; } = "US";

    /// <summary>Which key the region was read from: <c>Phones:DefaultRegion</c>, a deprecated key, or null for the default.</summary>
    public string? ReadFrom { get; set; }

    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        if (!PhoneNumberUtil.GetInstance().GetSupportedRegions().Contains(DefaultRegion))
        {
            yield return new ValidationResult(
                $"{ReadFrom ?? "Phones:DefaultRegion"} must be a region code such as US, CA or GB, not '{DefaultRegion}'.", [nameof(DefaultRegion)]);
        }
    }

    /// <summary>Reads the region from <c>Phones:DefaultRegion</c>, else from the first <see cref="DeprecatedKeys">deprecated key</see> set, else US.</summary>
    public static void Read(PhoneOptions options, IConfiguration configuration)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(configuration);
        foreach (var key in DeprecatedKeys.Prepend($"{Section}:{nameof(DefaultRegion)}"))
        {
            if (configuration[key] is { Length: > 0 } region)
            {
                // Note: upper case, as libphonenumber's region codes are; "us" in an environment file means US.
                options.DefaultRegion = region.Trim().ToUpperInvariant();
                options.ReadFrom = key;
                return;
            }
        }
    }
}

public static class PhoneOptionsExtensions
{
    /// <summary>
    /// <see cref="PhoneOptions"/>, read from configuration with its fallbacks and validated at start-up; a start-up
    /// warning names a deprecated key when the region came from one.
    /// </summary>
    public static IServiceCollection AddPhoneOptions(this IServiceCollection services)
    {
        services.AddOptions<PhoneOptions>().Configure<IConfiguration>(PhoneOptions.Read).ValidateDataAnnotations().ValidateOnStart();
        services.AddHostedService<DeprecatedRegionKeyWarning>();
        return services;
    }
}

internal sealed partial class DeprecatedRegionKeyWarning(IOptions<PhoneOptions> phones, ILogger<DeprecatedRegionKeyWarning> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        if (phones.Value.ReadFrom is { } key && PhoneOptions.DeprecatedKeys.Contains(key))
        {
            LogDeprecated(key, phones.Value.DefaultRegion);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Warning, Message = "{Key} is deprecated: set Phones:DefaultRegion (Phones__DefaultRegion) to {Region} instead; the old key is read only while the new one is not set")]
    private partial void LogDeprecated(string key, string region);
}
