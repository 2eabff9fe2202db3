using System.Net.Sockets;
using MassTransit;
using Npgsql;

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

    /// <summary>
    /// The consumer was cut short because its service is stopping: its token was cancelled, or the host's service
    /// provider is already disposed. Never poison: the delivery goes back to its queue for another replica or the restart.
    /// </summary>
    public static bool IsShutdown(Exception exception) => exception is OperationCanceledException or ObjectDisposedException;

    /// <summary>A failure reported by another service (a request's fault), judged by the same rules, by its type's name.</summary>
    public static bool IsTransient(ExceptionInfo remote) => remote switch
    {
        null => false,
        { ExceptionType: "Npgsql.PostgresException" } => IsTransientSqlState(remote.Message?.Split(':')[0] ?? ""),
        { ExceptionType: "Npgsql.NpgsqlException" or "System.TimeoutException" or "System.Net.Sockets.SocketException"
            or "MassTransit.RequestTimeoutException" or "System.OperationCanceledException" or "System.Threading.Tasks.TaskCanceledException" } => true,
        _ when remote.ExceptionType == typeof(DependencyNotReadyException).FullName => true,
        _ => remote.InnerException is { } inner && IsTransient(inner),
    };

    /// <summary>SQLSTATEs that mean "try again": unavailable, not migrated yet, a lock or serialization conflict, our own session limits.</summary>
    public static bool IsTransientSqlState(string sqlState) =>
        sqlState.StartsWith("08", StringComparison.Ordinal) || sqlState.StartsWith("53", StringComparison.Ordinal)
        || sqlState.StartsWith("57P", StringComparison.Ordinal)
        || sqlState is PostgresErrorCodes.UndefinedTable or PostgresErrorCodes.LockNotAvailable or PostgresErrorCodes.SerializationFailure
            or PostgresErrorCodes.DeadlockDetected or IdleInTransactionSessionTimeout;

    public static bool IsTransient(Exception exception) => exception switch
    {
        null => false,
        DependencyNotReadyException or RequestTimeoutException or TimeoutException => true,
        // Note: 55P03 lock_not_available (our lock_timeout), 40001/40P01 (serialization, deadlock) and 25P03 (our
        // idle_in_transaction_session_timeout ended the session) all succeed when tried again.
        PostgresException pg => IsTransientSqlState(pg.SqlState),
        NpgsqlException or SocketException => true,
        HttpRequestException http => http.StatusCode is null || (int)http.StatusCode >= 500,
        // Note: the consumer of a request (the consent service's contact resolution) that waits out its own database
        // outage still answers its requester with a fault when its in-memory window ends, before its delivery goes
        // back to its queue: for the requester that is "not now", not "never". Measured: 11 of 30 missed calls parked
        // in a 150 s outage until this was read as transient.
        RequestFaultException fault => fault.Fault?.Exceptions is { Length: > 0 } remote && remote.All(IsTransient),
        // The RabbitMQ client's own exceptions when a channel or connection closes under a consumer's publish.
        _ when exception.GetType().Namespace?.StartsWith("RabbitMQ.Client", StringComparison.Ordinal) == true => true,
        AggregateException aggregate => aggregate.InnerExceptions.Count > 0 && aggregate.InnerExceptions.All(IsTransient),
        _ => exception.InnerException is { } inner && IsTransient(inner),
    };
}
