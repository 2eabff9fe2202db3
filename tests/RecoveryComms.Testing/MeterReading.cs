using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;

namespace RecoveryComms.Testing;

/// <summary>
/// Reads one host's observable instruments now, as a scrape would, and only that host's. Meters are process-wide:
/// with several test hosts alive, OpenTelemetry folds same-named instruments of every host into one exported series
/// (whichever callback ran last wins), so a value read from a scrape could be another host's. The instruments a host
/// creates through its own <see cref="IMeterFactory"/> carry that factory as their meter's scope, which tells them apart.
/// </summary>
public static class MeterReading
{
    public static IReadOnlyList<double> Observe(IServiceProvider services, string instrumentName)
    {
        ArgumentNullException.ThrowIfNull(services);
        var factory = services.GetRequiredService<IMeterFactory>();
        var values = new List<double>();
        using var listener = new MeterListener();
        listener.InstrumentPublished = (instrument, l) =>
        {
            if (instrument.Name == instrumentName && ReferenceEquals(instrument.Meter.Scope, factory))
            {
                l.EnableMeasurementEvents(instrument);
            }
        };
        listener.SetMeasurementEventCallback<double>((_, value, _, _) => values.Add(value));
        listener.SetMeasurementEventCallback<int>((_, value, _, _) => values.Add(value));
        listener.SetMeasurementEventCallback<long>((_, value, _, _) => values.Add(value));
        listener.Start();
        listener.RecordObservableInstruments();
        return values;
    }
}
