using RabbitMQ.Client;
using RabbitMQ.Client.Exceptions;
using RecoveryComms.Testing;

namespace RecoveryComms.Orchestrator.Tests.Reliability;

/// <summary>What the tests ask the broker directly, over a connection of their own (not the services' code).</summary>
public static class BrokerQueues
{
    /// <summary>Messages in a queue, or 0 when it does not exist.</summary>
    public static async Task<uint> CountAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            return (await channel.QueueDeclarePassiveAsync(queue)).MessageCount;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 404)
        {
            return 0;
        }
    }

    /// <summary>True when the queue exists as a quorum queue: declaring it as a classic one is refused (406).</summary>
    public static async Task<bool> IsQuorumAsync(string queue)
    {
        await using var connection = await ConnectAsync();
        await using var channel = await connection.CreateChannelAsync();
        try
        {
            await channel.QueueDeclareAsync(queue, durable: true, exclusive: false, autoDelete: false,
                arguments: new Dictionary<string, object?> { ["x-queue-type"] = "classic" });
            return false;
        }
        catch (OperationInterruptedException e) when (e.ShutdownReason?.ReplyCode == 406)
        {
            return true;
        }
    }

    private static async Task<IConnection> ConnectAsync()
    {
        var rabbit = await TestInfrastructure.RabbitMqAsync();
        return await new ConnectionFactory { Uri = rabbit }.CreateConnectionAsync();
    }
}
