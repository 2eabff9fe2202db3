using System.Net.Sockets;
using MassTransit;
using Npgsql;
using RecoveryComms.Hosting.Data;

namespace RecoveryComms.Hosting.Messaging;

/// <summary>
/// Thrown by a consumer when what it needs is not there <i>yet</i> (a status report for a call whose capture has
/// not been consumed, a contact still being resolved): the message waits and is tried again, like a database outage.
/// </summary>
public sealed class DependencyNotReadyException(string message) : Exception(message);

/// <summary>
/// Which consumer failures wait and which park. The promise is that a missed call is never lost, so anything that
/// can succeed later (PostgreSQL down or failing over, a lock held by a frozen host, the consent service not
/// answering, the broker dropping a channel mid-publish) keeps its message in the queue for as long as it takes.
/// Only a message that can never succeed (a bug, bad data, a message of a shape we cannot read) is a poison message
/// and goes to the endpoint's <c>_error</c> queue, where it is counted, logged and can be replayed.
/// </summary>
public static class MessageFailures
{
    /// <summary>idle_in_transaction_session_timeout ended the session; Npgsql's PostgresErrorCodes has no name for it.</summary>
    public const string IdleInTransactionSessionTimeout = "25P03";

    public static bool IsTransient(Exception exception) => exception switch
    {
        null => false,
        DependencyNotReadyException or RequestTimeoutException or TimeoutException or SocketException => true,
        // Note: 55P03 lock_not_available (our lock_timeout), 40001/40P01 (serialization, deadlock) and 25P03 (our
        // idle_in_transaction_session_timeout ended the session) all succeed when tried again.
        PostgresException pg when pg.SqlState is PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.SerializationFailure
            or PostgresErrorCodes.DeadlockDetected or IdleInTransactionSessionTimeout => true,
        _ when DatabaseErrors.IsUnavailable(exception) => true,
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500,
        // The RabbitMQ client's own exceptions when a channel or connection closes under a consumer's publish.
        _ when exception.GetType().Namespace?.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) == true => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
