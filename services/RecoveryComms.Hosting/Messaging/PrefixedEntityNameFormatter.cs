using MassTransit;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>
/// Puts a prefix before every exchange name, so that hosts with different prefixes share a broker without
/// seeing each other's messages (test hosts running side by side; a staging stack beside production).
/// </summary>
public sealed class PrefixedEntityNameFormatter(IEntityNameFormatter inner, string prefix) : IEntityNameFormatter
{
    public string FormatEntityName<T>() => prefix + inner.FormatEntityName<T>();
}
