using System.Net;
using System.Net.Sockets;
using MassTransit;
using Npgsql;
using RecoveryComms.Hosting.Messaging;

namespace RecoveryComms.Orchestrator.Tests.Reliability;

/// <summary>Which failures wait on their queue and which park: the line between a lost caller and a stuck queue.</summary>
public sealed class MessageFailuresTests
{
    public static TheoryData<Exception> Transient() =>
    [
        new NpgsqlException("connection refused", new SocketException((int)SocketError.ConnectionRefused)),
        new PostgresException("the database system is shutting down", "FATAL", "FATAL", "57P03"),
        new PostgresException("canceling statement due to lock timeout", "ERROR", "ERROR", PostgresErrorCodes.LockNotAvailable),
        new PostgresException("deadlock detected", "ERROR", "ERROR", PostgresErrorCodes.DeadlockDetected),
        new PostgresException("idle-in-transaction timeout", "FATAL", "FATAL", MessageFailures.IdleInTransactionSessionTimeout),
        new RequestTimeoutException("consent did not answer"),
        new TimeoutException(),
        new DependencyNotReadyException("the call is not known yet"),
        new HttpRequestException("bad gateway", null, HttpStatusCode.BadGateway),
        new InvalidOperationException("wrapped", new TimeoutException()),
    ];

    public static TheoryData<Exception> Poison() =>
    [
        new PostgresException("new row violates check constraint", "ERROR", "ERROR", PostgresErrorCodes.CheckViolation),
        new PostgresException("syntax error", "ERROR", "ERROR", PostgresErrorCodes.SyntaxError),
        new ArgumentException("not a phone number"),
        new InvalidOperationException("a bug"),
        new HttpRequestException("bad request", null, HttpStatusCode.BadRequest),
        new AggregateException(new TimeoutException(), new ArgumentException("bad")),
    ];

    [Theory]
    [InlineData("Npgsql.NpgsqlException", "Failed to connect to 127.0.0.1:5432", true)]
    [InlineData("Npgsql.PostgresException", "57P01: terminating connection due to administrator command", true)]
    [InlineData("MassTransit.RequestTimeoutException", "timed out", true)]
    [InlineData("Npgsql.PostgresException", "23514: new row violates check constraint", false)]
    [InlineData("System.ArgumentException", "not a phone number", false)]
    public void IsTransient_AnotherServicesFault_IsJudgedByItsCause(string type, string message, bool transient) =>
        Assert.Equal(transient, MessageFailures.IsTransient(new RequestFaultException("ResolveContact", new RemoteFault(new RemoteException(type, message)))));

    private sealed record RemoteException(string ExceptionType, string Message) : ExceptionInfo
    {
        public ExceptionInfo? InnerException => null;

        public string StackTrace => "";

        public string Source => "";

        public IDictionary<string, object> Data { get; } = new Dictionary<string, object>();
    }

    private sealed record RemoteFault(ExceptionInfo Exception) : Fault
    {
        public Guid FaultId { get; } = Guid.NewGuid();

        public Guid? FaultedMessageId => null;

        public DateTime Timestamp => DateTime.UnixEpoch;

        public ExceptionInfo[] Exceptions => [Exception];

        public HostInfo Host => null!;

        public string[] FaultMessageTypes => [];
    }

    [Fact]
    public void IsShutdown_CancelledOrDisposedHost_GoesBackToTheQueue()
    {
        Assert.True(MessageFailures.IsShutdown(new OperationCanceledException()));
        Assert.True(MessageFailures.IsShutdown(new ObjectDisposedException("IServiceProvider")));
        Assert.False(MessageFailures.IsShutdown(new InvalidOperationException("a bug")));
    }

    [Theory]
    [MemberData(nameof(Transient))]
    public void IsTransient_DependencyUnavailable_Waits(Exception e) => Assert.True(MessageFailures.IsTransient(e));

    [Theory]
    [MemberData(nameof(Poison))]
    public void IsTransient_CannotSucceedLater_Parks(Exception e) => Assert.False(MessageFailures.IsTransient(e));
}
