using Dapper;
using Npgsql;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Hosting.Phones;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Orchestrator.Intake;

/// <summary>Thrown when an event needs one that has not been applied yet (a transcription before its voicemail); the bus retries it.</summary>
public sealed class NotYetException(string message) : Exception(message);
