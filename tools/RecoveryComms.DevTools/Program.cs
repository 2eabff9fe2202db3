using RecoveryComms.DevTools;

// Developer tools for the offline stack started by ./infra/dev.sh up:
//   sandbox --port 5090                              Twilio's Calls, Messages and recording media API, served locally (WireMock.Net)
//   simulate missed-call|voicemail|abandoned --from +15551234567
//   simulate sms --from +15551234567 --body STOP     correctly signed webhooks to the running webhooks service
//   replay-errors QUEUE_error [QUEUE_error ...]      parked messages back to the queues they failed on
return args switch
{
    ["sandbox", .. var rest] => await Sandbox.RunAsync(Options.Parse(rest)),
    ["simulate", var scenario, .. var rest] => await Simulator.RunAsync(scenario, Options.Parse(rest)),
    ["replay-errors", .. var queues] => await ReplayErrors.RunAsync(queues),
    _ => Usage(),
};

static int Usage()
{
    Console.Error.WriteLine("usage: sandbox [--port 5090] | simulate missed-call|voicemail|abandoned|sms [--from +1...] [--to +1...] [--body TEXT] | replay-errors QUEUE_error...");
    return 2;
}
