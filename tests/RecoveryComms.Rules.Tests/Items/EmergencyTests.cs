using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Timers;

namespace RecoveryComms.Rules.Tests.Items;

/// <summary>
/// The shop's emergency phrases, matched as whole words in any case, and what a match does to an item: top of the
/// queue, the emergency windows (only ever earlier), its timers re-armed, the first match kept.
/// </summary>
public sealed class EmergencyTests
{
    private static readonly DateTime T0 = new(2026, 3, 2, 8, 10, 0, DateTimeKind.Utc);
    private static readonly Duty Today = new(Guid.NewGuid(), Guid.NewGuid(), null);

    [Theory]
    [InlineData("Water is POURING through the ceiling", "water pouring")]
    [InlineData("hi, we have a burst pipe in the basement", "burst pipe")]
    [InlineData("burst\n  pipe!", "burst pipe")]
    [InlineData("a burst water pipe under the sink", "burst pipe")]
    [InlineData("There's no heat and it's 30 degrees", "no heat")]
    [InlineData("Sewage backup in the tub.", "sewage backup")]
    [InlineData("smoke", "smoke")]
    [InlineData("I smell smoke, and also flooding", "flooding")]
    public void A_default_phrase_in_what_the_customer_said_matches(string text, string expected) =>
        Assert.Equal(expected, EmergencyRules.FirstMatch(text, EmergencyRules.DefaultPhrases));

    [Theory]
    [InlineData("the heater makes noise, no heater issue really")]
    [InlineData("two burst pipes last year, all fixed")]
    [InlineData("smoked salmon for the tech?")]
    [InlineData("the water bill is high; nothing is pouring")]
    [InlineData("")]
    [InlineData(null)]
    public void A_phrase_inside_a_longer_word_or_its_words_far_apart_does_not_match(string? text) =>
        Assert.Null(EmergencyRules.FirstMatch(text, EmergencyRules.DefaultPhrases));

    [Fact]
    public void A_managers_phrase_is_text_never_a_pattern()
    {
        Assert.Null(EmergencyRules.FirstMatch("leak detected", ["le.k"]));
        Assert.Equal("c++", EmergencyRules.FirstMatch("the c++ unit", ["c++"]));
    }

    [Theory]
    [InlineData("active leak", null)]
    [InlineData("carbon-monoxide", null)]
    [InlineData("O'Brien's boiler", null)]
    [InlineData("   ", "An emergency phrase needs at least one word.")]
    [InlineData("leak.*", "'leak.*' may hold only letters, digits, spaces, hyphens and apostrophes.")]
    public void A_phrase_a_manager_saves_is_words(string phrase, string? problem) =>
        Assert.Equal(problem, EmergencyRules.Problem(phrase));

    private static RecoveryItem AfterHoursVoicemail() =>
        RecoveryItem.FromCall(Guid.CreateVersion7(), new CapturedCall("CA1", "voicemail", "+15551234567", false, "+15550000001", true, T0),
            "+15551234567", new ContactInfo("contact-1", null, null),
            new LoopTimes(T0.AddHours(5), T0.AddHours(6), T0.AddHours(6).AddMinutes(10), true), Today, T0);

    [Fact]
    public void An_after_hours_voicemail_that_matches_goes_on_the_emergency_clock_now_and_to_the_top_of_the_queue()
    {
        var item = AfterHoursVoicemail();
        var emergency = new LoopTimes(T0.AddMinutes(1), T0.AddMinutes(3), T0.AddMinutes(6), true);

        var change = item.MarkEmergency(new EmergencyMatch("water pouring", EmergencySources.Transcript), emergency);

        Assert.Equal(TimelineKinds.EmergencyDetected, change.Kind);
        Assert.Equal("Emergency: \"water pouring\" in the voicemail. It goes to the top of the queue on the emergency clock.", change.Detail);
        Assert.Equal(("water pouring", "transcript"), (item.EmergencyMatched, item.EmergencySource));
        Assert.Equal(ItemTypes.Priority(ItemTypes.Emergency), item.Priority);
        Assert.Equal(ItemTypes.Voicemail, item.Type);
        Assert.Equal((T0.AddMinutes(1), T0.AddMinutes(3), T0.AddMinutes(6)), (item.ClockStartsAt, item.FirstAttemptDueAt, item.SlaDueAt));
        Assert.Equal([new TimerArm(TimerKinds.FirstAttemptDue, T0.AddMinutes(3)), new TimerArm(TimerKinds.SlaDue, T0.AddMinutes(6))], change.Arm);
        Assert.Equal([TimerKinds.ClockStart], change.Cancel);
    }

    [Fact]
    public void Due_times_only_move_earlier()
    {
        var item = AfterHoursVoicemail();
        var later = new LoopTimes(T0.AddHours(7), T0.AddHours(8), T0.AddHours(9), true);

        var change = item.MarkEmergency(new EmergencyMatch("no heat", EmergencySources.Sms), later);

        Assert.Equal((T0.AddHours(5), T0.AddHours(6), T0.AddHours(6).AddMinutes(10)), (item.ClockStartsAt, item.FirstAttemptDueAt, item.SlaDueAt));
        Assert.Empty(change.Arm);
        Assert.Empty(change.Cancel);
        Assert.Contains("in the customer's text", change.Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void The_first_match_is_kept_and_a_second_changes_nothing()
    {
        var item = AfterHoursVoicemail();
        var emergency = new LoopTimes(T0.AddMinutes(1), T0.AddMinutes(3), T0.AddMinutes(6), true);
        item.MarkEmergency(new EmergencyMatch("burst pipe", EmergencySources.Transcript), emergency);

        var again = item.MarkEmergency(new EmergencyMatch("flooding", EmergencySources.Sms), emergency);

        Assert.False(again.Changed);
        Assert.Equal("burst pipe", item.EmergencyMatched);
    }

    [Fact]
    public void An_item_already_attempted_keeps_its_timers_but_takes_the_earlier_due_times()
    {
        var item = AfterHoursVoicemail();
        item.Claim(Today.PrimaryUserId!.Value, "Pat", T0);
        item.AttemptPlaced(Today.PrimaryUserId!.Value, "Pat", T0, T0.AddMinutes(1));

        var change = item.MarkEmergency(new EmergencyMatch("gas smell", EmergencySources.Sms), new LoopTimes(T0.AddMinutes(1), T0.AddMinutes(3), T0.AddMinutes(6), true));

        Assert.Empty(change.Arm);
        Assert.Equal(T0.AddMinutes(6), item.SlaDueAt);
    }
}
