using NodaTime;
using RecoveryComms.Orchestrator.Owners;
using RecoveryComms.Orchestrator.Settings;

namespace RecoveryComms.Rules.Tests.Owners;

/// <summary>
/// Two names on every new item: the weekday's rotation, then the shop's fallback owners, then the first staff
/// members; and the words the timeline and the console use when the rotation did not name both.
/// </summary>
public sealed class ItemOwnersTests
{
    private static readonly Guid Ann = Guid.Parse("00000000-0000-0000-0000-00000000000a");
    private static readonly Guid Ben = Guid.Parse("00000000-0000-0000-0000-00000000000b");
    private static readonly Guid Cat = Guid.Parse("00000000-0000-0000-0000-00000000000c");
    private static readonly Guid Dan = Guid.Parse("00000000-0000-0000-0000-00000000000d");
    private static readonly Guid Meg = Guid.Parse("00000000-0000-0000-0000-0000000000ee");

    [Fact]
    public void A_full_rotation_names_both_and_says_nothing()
    {
        var pick = ItemOwners.Pick(new Duty(Ann, Ben, Meg), new FallbackOwners(Cat, Dan), [Cat, Dan], IsoDayOfWeek.Tuesday);

        Assert.Equal(new Duty(Ann, Ben, Meg), pick.Owners);
        Assert.Null(pick.Note);
    }

    [Fact]
    public void A_day_without_rotation_goes_to_the_fallback_owners_and_the_timeline_says_so()
    {
        var pick = ItemOwners.Pick(new Duty(null, null, Meg), new FallbackOwners(Cat, Dan), [Ann, Ben], IsoDayOfWeek.Saturday);

        Assert.Equal(new Duty(Cat, Dan, Meg), pick.Owners);
        Assert.Equal("Saturday has no rotation: the shop's fallback owners take it.", pick.Note);
    }

    [Fact]
    public void A_rotation_with_one_name_keeps_it_as_primary_and_takes_the_backup_from_the_fallback()
    {
        var pick = ItemOwners.Pick(new Duty(Ann, null, null), new FallbackOwners(Ann, Dan), [], IsoDayOfWeek.Monday);

        Assert.Equal(new Duty(Ann, Dan, null), pick.Owners);
        Assert.Equal("Monday's rotation names only one owner: the shop's fallback owners take it.", pick.Note);
    }

    [Fact]
    public void A_rotation_that_names_only_a_backup_makes_that_person_primary()
    {
        var pick = ItemOwners.Pick(new Duty(null, Ben, null), new FallbackOwners(Cat, null), [], IsoDayOfWeek.Monday);

        Assert.Equal(new Duty(Ben, Cat, null), pick.Owners);
    }

    [Fact]
    public void Without_rotation_or_fallback_the_first_staff_members_take_it_and_the_note_says_what_to_set()
    {
        var pick = ItemOwners.Pick(new Duty(null, null, null), FallbackOwners.None, [Ann, Ben], IsoDayOfWeek.Sunday);

        Assert.Equal(new Duty(Ann, Ben, null), pick.Owners);
        Assert.Equal("Sunday has no rotation and no fallback owners are set: the first staff members take it. Set the rotation or the fallback owners in Settings.", pick.Note);
    }

    [Fact]
    public void One_staff_member_is_primary_with_no_backup_and_the_note_says_so()
    {
        var pick = ItemOwners.Pick(new Duty(null, null, null), FallbackOwners.None, [Ann], IsoDayOfWeek.Sunday);

        Assert.Equal(new Duty(Ann, null, null), pick.Owners);
        Assert.Equal("Sunday has no rotation and there is no second staff member: this item has no backup. Add staff, then set the rotation.", pick.Note);
    }

    [Fact]
    public void No_staff_at_all_still_gives_an_item_and_says_what_to_set_up()
    {
        var pick = ItemOwners.Pick(new Duty(null, null, null), FallbackOwners.None, [], IsoDayOfWeek.Wednesday);

        Assert.Equal(new Duty(null, null, null), pick.Owners);
        Assert.Equal("No staff can own this item: add CSRs and managers, then set the rotation.", pick.Note);
    }

    [Fact]
    public void The_same_person_is_never_both_owners()
    {
        var pick = ItemOwners.Pick(new Duty(Ann, null, null), new FallbackOwners(Ann, null), [Ann, Ben], IsoDayOfWeek.Friday);

        Assert.Equal(new Duty(Ann, Ben, null), pick.Owners);
    }

    [Fact]
    public void The_console_warns_about_each_weekday_without_two_owners()
    {
        var person = new DutyPerson(Ann, "Ann");
        var week = new[] { "monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday" }
            .Select(day => day is "saturday" or "sunday" ? new DayView(day, null, null, null) : new DayView(day, person, new DutyPerson(Ben, "Ben"), null))
            .ToList();

        Assert.Equal(
            ["No primary and backup in the rotation for Saturday, Sunday: no fallback owners are set either, so the first staff members take them. Set the rotation or the fallback owners in Settings."],
            OwnerSetup.Warnings(week, FallbackOwners.None, 2));
        Assert.Equal(
            ["No primary and backup in the rotation for Saturday, Sunday: the fallback owners take those days' callbacks."],
            OwnerSetup.Warnings(week, new FallbackOwners(Cat, Dan), 4));
    }

    [Fact]
    public void The_console_says_first_that_there_are_no_staff_or_only_one()
    {
        var week = Enumerable.Range(1, 7).Select(d => new DayView(((IsoDayOfWeek)d).ToString().ToLowerInvariant(), null, null, null)).ToList();

        Assert.Equal(
            ["No staff yet: new callbacks have nobody to call them back. An admin adds CSRs and managers in Users, then a manager sets the rotation."],
            OwnerSetup.Warnings(week, FallbackOwners.None, 0));
        Assert.StartsWith("Only one staff member: new callbacks have no backup.", OwnerSetup.Warnings(week, FallbackOwners.None, 1)[0], StringComparison.Ordinal);
    }

    [Fact]
    public void Nothing_to_set_up_when_every_day_names_two_people()
    {
        var week = Enumerable.Range(1, 7).Select(d => new DayView(((IsoDayOfWeek)d).ToString().ToLowerInvariant(), new DutyPerson(Ann, "Ann"), new DutyPerson(Ben, "Ben"), null)).ToList();

        Assert.Empty(OwnerSetup.Warnings(week, FallbackOwners.None, 2));
    }
}
