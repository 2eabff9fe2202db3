using System.Globalization;
using Microsoft.Extensions.Logging.Abstractions;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.DevTools;

/// <summary>
/// <c>./infra/dev.sh replay-errors</c>: moves the messages of the named <c>_error</c> queues back to the queues they
/// failed on (dev.sh names every <c>*_error</c> queue the broker holds). Works with the services stopped.
/// The broker comes from the same <c>RabbitMq__*</c> settings as the services'.
/// </summary>
internal static class ReplayErrors
{
    public static async Task<int> RunAsync(IReadOnlyList<string> queues)
    {
        if (queues.Count == 0)
        {
            Console.WriteLine("No error queue holds a message: nothing to replay.");
            return 0;
        }

        var options = new RabbitMqOptions
        {
            Host = Options.Env("RabbitMq__Host", "127.0.0.1"),
            Port = int.Parse(Options.Env("RabbitMq__Port", "5672"), CultureInfo.InvariantCulture),
            Username = Options.Env("RabbitMq__Username", "guest"),
            Password = Options.Env("RabbitMq__Password", "guest"),
            VirtualHost = Options.Env("RabbitMq__VirtualHost", "/"),
        };
        await using var errorQueues = new ErrorQueues(options, new OwnQueues(), NullLogger<ErrorQueues>.Instance);
        var failed = 0;
        foreach (var queue in queues)
        {
            try
            {
                var moved = await errorQueues.ReplayAsync(queue, CancellationToken.None);
                Console.WriteLine($"{queue}: {moved} message(s) moved back to {queue[..^ErrorQueues.Suffix.Length]}");
            }
            catch (ArgumentException e)
            {
                Console.Error.WriteLine(e.Message);
                failed++;
            }
        }

        return failed == 0 ? 0 : 1;
    }
}
