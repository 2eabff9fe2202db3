using RecoveryComms.Orchestrator.Tests.Queue;

namespace RecoveryComms.Orchestrator.Tests.Console;

/// <summary>The recovery loop with the orchestrator on a real loopback port, so Chromium can load the console from it.</summary>
public sealed class ConsoleHost : LoopHost
{
    protected override bool ListenOnLoopback => true;
}
