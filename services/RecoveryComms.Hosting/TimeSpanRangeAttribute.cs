using System.ComponentModel.DataAnnotations;
using System.Globalization;

namespace RecoveryComms.Hosting;

/// <summary>
/// <c>[Range(typeof(TimeSpan), min, max)]</c> without its race: <see cref="RangeAttribute"/> converts its bounds lazily on
/// first use without a lock, and options validated by several hosts at once then throw <see cref="InvalidCastException"/>
/// (dotnet/runtime#1143; seen here when test hosts started in parallel). The bounds are parsed once, in the constructor.
/// </summary>
[AttributeUsage(AttributeTargets.Property | AttributeTargets.Field | AttributeTargets.Parameter)]
public sealed class TimeSpanRangeAttribute : ValidationAttribute
{
    public TimeSpanRangeAttribute(string minimum, string maximum)
    {
        Minimum = TimeSpan.Parse(minimum, CultureInfo.InvariantCulture);
        Maximum = TimeSpan.Parse(maximum, CultureInfo.InvariantCulture);
        if (Minimum > Maximum)
        {
            throw new ArgumentException($"The minimum {minimum} is above the maximum {maximum}.", nameof(minimum));
        }
    }

    public TimeSpan Minimum { get; }

    public TimeSpan Maximum { get; }

    /// <summary>Null passes, as with <see cref="RangeAttribute"/> (<see cref="RequiredAttribute"/> says otherwise).</summary>
    public override bool IsValid(object? value) => value is null || (value is TimeSpan t && t >= Minimum && t <= Maximum);

    public override string FormatErrorMessage(string name) =>
        string.Create(CultureInfo.InvariantCulture, $"The field {name} must be between {Minimum:c} and {Maximum:c}.");
}
