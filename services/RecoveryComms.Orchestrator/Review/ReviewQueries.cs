using Dapper;
using NodaTime;
using Npgsql;
using RecoveryComms.Hosting.Business;
using RecoveryComms.Orchestrator.Items;
using RecoveryComms.Orchestrator.Views;

namespace RecoveryComms.Orchestrator.Review;

/// <summary>One scorecard figure over the period, with its value on each shop-local day of the period (<see cref="Trend"/>).</summary>
public sealed record Figure(string Name, double? Value, string Unit, double? Target, double? Stretch, string Direction, bool? MeetsTarget, long Basis, string Definition)
{
    public IReadOnlyList<DayValue> Trend { get; init; } = [];
}

/// <summary>A figure's value on one shop-local day; null when the day had nothing to measure.</summary>
public sealed record DayValue(string Date, double? Value, long Basis);

public sealed record CountBy(string Key, long Count);

public sealed record DayTrend(string Date, long Items, long Bookings, double? MedianMinutesToFirstAttempt, long FirstAttemptsWithin10Minutes);

public sealed record Scorecard(
    DateTimeOffset From, DateTimeOffset To, IReadOnlyList<Figure> Figures, IReadOnlyList<CountBy> TopReasons, long BackupTriggers, long UnassignedAtClose,
    long RepeatCallers, long OwnerRescues, IReadOnlyList<CountBy> WarrantyByTechnician, IReadOnlyList<CountBy> WarrantyByJobType, long ShortAbandons,
    IReadOnlyList<DayTrend> Days, IReadOnlyList<string> Alerts);

public sealed record ReviewItem(ItemView Item, double? MinutesToFirstAttempt, bool SecondAttempt, bool SmsSent);

/// <summary>A recorded call to listen to; <see cref="RecordingSid"/> is null while Twilio has not delivered the recording yet.</summary>
public sealed record RecordingSample(Guid AttemptId, Guid ItemId, Guid CsrId, string CsrName, DateTimeOffset StartedAt, string Result, string? RecordingSid, int? RecordingSeconds);

public sealed record DailyReview(string Date, IReadOnlyList<ReviewItem> Unrecovered, IReadOnlyList<RecordingSample> Recordings)
{
    /// <summary>How many items came in that day (short abandons aside): 0 is a quiet day, not a day of recovered items.</summary>
    public long Total { get; init; }
}

public sealed record EndOfDayReview(IReadOnlyList<ItemView> Items, long Unassigned, long Limbo);

/// <summary>
/// The manager's figures. Owns no table: it reads <c>orchestrator.recovery_items</c>, <c>orchestrator.item_events</c>,
/// <c>orchestrator.call_attempts</c> and <c>orchestrator.users</c>, which the queue, the attempts and the users write.
/// Every figure says what it counts (<see cref="Figure.Definition"/>) and its basis, so a percentage of three items is
/// not mistaken for a trend. Short abandons (flagged by capture) are counted on their own line and kept out of the
/// service-level figures.
/// </summary>
public sealed class ReviewQueries(NpgsqlDataSource dataSource, ShopCalendar calendar, TimeProvider time)
{
    private sealed class Row
    {
        public Guid Id { get; init; }
        public string Type { get; init; } = "";
        public string? Phone { get; init; }
        public DateTime CreatedAt { get; init; }
        public DateTime ClockStartsAt { get; init; }
        public DateTime FirstAttemptDueAt { get; init; }
        public DateTime? FirstAttemptAt { get; init; }
        public int Attempts { get; init; }
        public bool SmsSent { get; init; }
        public bool AfterHours { get; init; }
        public bool ShortAbandon { get; init; }
        public int Occurrences { get; init; }
        public string? Outcome { get; init; }
        public string? Reason { get; init; }
        public DateTime? CustomerRepliedAt { get; init; }
        public string? TechName { get; init; }
        public string? JobType { get; init; }
    }

    private static readonly string[] LoopEnders = [Outcomes.BookedJob, Outcomes.BookedEstimate, Outcomes.RescheduleRequested, Outcomes.OptedOut,
        Outcomes.DoNotContact, Outcomes.WrongNumber, Outcomes.BookedElsewhere];

    public async Task<Scorecard> ScorecardAsync(DateTimeOffset from, DateTimeOffset to, CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var rows = (await c.QueryAsync<Row>(new CommandDefinition(
            """
            SELECT id, type, phone, created_at, clock_starts_at, first_attempt_due_at, first_attempt_at, attempts, sms_sent, after_hours, short_abandon,
                   occurrences, outcome, reason, customer_replied_at, tech_name, job_type
            FROM orchestrator.recovery_items WHERE created_at >= @From AND created_at < @To
            """, new { From = from, To = to }, cancellationToken: ct))).AsList();
        var counted = rows.Where(r => !r.ShortAbandon).ToList();
        var figures = Figures(counted);
        var optOutRate = figures.Single(f => f.Name == "smsOptOutRate").Value;

        var ids = rows.Select(r => r.Id).ToArray();
        var events = (await c.QueryAsync<(string Kind, long N)>(new CommandDefinition(
            "SELECT kind, count(DISTINCT item_id) FROM orchestrator.item_events WHERE item_id = ANY(@Ids) AND kind IN ('backup-triggered', 'end-of-day-unassigned') GROUP BY kind",
            new { Ids = ids }, cancellationToken: ct))).ToDictionary(e => e.Kind, e => e.N);
        var rescues = await c.ExecuteScalarAsync<long>(new CommandDefinition(
            """
            SELECT count(*) FROM orchestrator.recovery_items i JOIN orchestrator.users u ON u.id = i.disposed_by
            WHERE i.id = ANY(@Ids) AND i.eod_flagged_at IS NOT NULL AND i.disposed_at > i.eod_flagged_at AND u.role IN ('manager', 'admin')
              AND i.disposed_by IS DISTINCT FROM i.primary_owner_id
            """, new { Ids = ids }, cancellationToken: ct));

        var alerts = new List<string>();
        if (optOutRate > 3)
        {
            alerts.Add($"SMS opt-out rate is {optOutRate:0.#}% (alert above 3%): review the template and when texts are sent.");
        }

        var zone = calendar.Zone;
        var days = counted.GroupBy(r => Instant.FromDateTimeUtc(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)).InZone(zone).Date)
            .OrderBy(g => g.Key)
            .Select(g =>
            {
                var dayMinutes = g.Where(r => ItemTypes.Calls.Contains(r.Type) && r.FirstAttemptAt is not null)
                    .Select(r => (r.FirstAttemptAt!.Value - r.ClockStartsAt).TotalMinutes).ToList();
                return new DayTrend(g.Key.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), g.LongCount(),
                    g.LongCount(r => Outcomes.Bookings.Contains(r.Outcome ?? "")), Median(dayMinutes), dayMinutes.LongCount(m => m <= 10));
            }).ToList();

        // Each figure day by day over the whole period (days without items included), for the console's small charts.
        var byDay = counted.ToLookup(r => Instant.FromDateTimeUtc(DateTime.SpecifyKind(r.CreatedAt, DateTimeKind.Utc)).InZone(zone).Date);
        var trend = new List<(string Date, List<Figure> Figures)>();
        for (var day = calendar.Local(from).Date; calendar.At(day, LocalTime.Midnight) < to && trend.Count < MaxTrendDays; day = day.PlusDays(1))
        {
            trend.Add((day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), Figures(byDay[day].ToList())));
        }

        figures = figures.Select(f => f with
        {
            Trend = trend.Select(d => d.Figures.Single(x => x.Name == f.Name)).Zip(trend, (x, d) => new DayValue(d.Date, x.Value, x.Basis)).ToList(),
        }).ToList();

        return new Scorecard(from, to, figures,
            counted.Where(r => r.Outcome is not null && r.Reason is not null).GroupBy(r => r.Reason!).Select(g => new CountBy(g.Key, g.LongCount())).OrderByDescending(x => x.Count).ThenBy(x => x.Key).Take(10).ToList(),
            events.GetValueOrDefault("backup-triggered"), events.GetValueOrDefault("end-of-day-unassigned"),
            counted.LongCount(r => r.Occurrences > 1), rescues,
            counted.Where(r => r.Type == ItemTypes.Warranty).GroupBy(r => r.TechName ?? "(unknown)").Select(g => new CountBy(g.Key, g.LongCount())).OrderByDescending(x => x.Count).ToList(),
            counted.Where(r => r.Type == ItemTypes.Warranty).GroupBy(r => r.JobType ?? "(unknown)").Select(g => new CountBy(g.Key, g.LongCount())).OrderByDescending(x => x.Count).ToList(),
            rows.LongCount(r => r.ShortAbandon), days, alerts);
    }

    /// <summary>Yesterday's (or a given shop-local date's) unrecovered items, and two or three recorded calls per CSR to listen to.</summary>
    public async Task<DailyReview> DailyAsync(LocalDate? date, CancellationToken ct)
    {
        // One week for the whole question: a zone changed in the console meanwhile cannot split the day.
        var week = calendar.Current;
        var day = date ?? week.Local(time.GetUtcNow()).Date.PlusDays(-1);
        var from = week.At(day, LocalTime.Midnight);
        var to = week.At(day.PlusDays(1), LocalTime.Midnight);
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var ids = (await c.QueryAsync<Guid>(new CommandDefinition(
            """
            SELECT id FROM orchestrator.recovery_items
            WHERE created_at >= @From AND created_at < @To AND NOT short_abandon
              AND (outcome IS NULL OR outcome NOT IN ('booked-job', 'booked-estimate'))
            ORDER BY priority, sort_at, id
            """, new { From = from, To = to }, cancellationToken: ct))).AsList();
        var total = await c.QuerySingleAsync<long>(new CommandDefinition(
            "SELECT count(*) FROM orchestrator.recovery_items WHERE created_at >= @From AND created_at < @To AND NOT short_abandon",
            new { From = from, To = to }, cancellationToken: ct));
        var items = new List<ReviewItem>();
        foreach (var id in ids)
        {
            var view = (await ItemQueries.GetAsync(c, null, id, ct))!;
            items.Add(new ReviewItem(view, view.FirstAttemptAt is { } first ? Math.Round((first - view.ClockStartsAt).TotalMinutes, 1) : null, view.Attempts >= 2, view.SmsSent));
        }

        // Note: a stable sample (by attempt id hash) so two managers opening the same day hear the same calls.
        var recordings = await c.QueryAsync<(Guid AttemptId, Guid ItemId, Guid CsrId, string CsrName, DateTime StartedAt, string Result, string? RecordingSid, int? RecordingSeconds)>(new CommandDefinition(
            """
            SELECT attempt_id, item_id, csr_id, csr_name, started_at, result, recording_sid, recording_seconds FROM (
                SELECT a.id AS attempt_id, a.item_id, a.csr_id, u.name AS csr_name, a.started_at, a.result, a.recording_sid, a.recording_seconds,
                       row_number() OVER (PARTITION BY a.csr_id ORDER BY md5(a.id::text)) AS n
                FROM orchestrator.call_attempts a JOIN orchestrator.users u ON u.id = a.csr_id
                WHERE a.recorded AND a.result = 'answered' AND a.started_at >= @From AND a.started_at < @To) s
            WHERE n <= 3 ORDER BY csr_name, started_at
            """, new { From = from, To = to }, cancellationToken: ct));
        return new DailyReview(day.ToString("yyyy-MM-dd", System.Globalization.CultureInfo.InvariantCulture), items,
            recordings.Select(r => new RecordingSample(r.AttemptId, r.ItemId, r.CsrId, r.CsrName, ItemQueries.Utc(r.StartedAt), r.Result, r.RecordingSid, r.RecordingSeconds)).ToList())
        {
            Total = total,
        };
    }

    /// <summary>Open items that need a decision before the shop closes: completion, reassignment or escalation (limbo items have one).</summary>
    public async Task<EndOfDayReview> EndOfDayAsync(CancellationToken ct)
    {
        await using var c = await dataSource.OpenConnectionAsync(ct);
        var ids = (await c.QueryAsync<Guid>(new CommandDefinition(
            "SELECT id FROM orchestrator.recovery_items WHERE status NOT IN ('completed', 'limbo') ORDER BY priority, sort_at, id LIMIT 1000", cancellationToken: ct))).AsList();
        var items = new List<ItemView>();
        foreach (var id in ids)
        {
            items.Add((await ItemQueries.GetAsync(c, null, id, ct))!);
        }

        var limbo = await c.ExecuteScalarAsync<long>(new CommandDefinition("SELECT count(*) FROM orchestrator.recovery_items WHERE status = 'limbo'", cancellationToken: ct));
        return new EndOfDayReview(items, items.LongCount(i => i.PrimaryOwner is null), limbo);
    }

    /// <summary>The longest trend a scorecard draws (a quarter); longer periods still get their totals.</summary>
    private const int MaxTrendDays = 92;

    private static List<Figure> Figures(List<Row> counted)
    {
        var calls = counted.Where(r => ItemTypes.Calls.Contains(r.Type) && r.Phone is not null).ToList();
        var minutes = calls.Where(r => r.FirstAttemptAt is not null).Select(r => Math.Max(0, (r.FirstAttemptAt!.Value - r.ClockStartsAt).TotalMinutes)).ToList();
        var closed = counted.Where(r => r.Outcome is not null).ToList();
        var completedLoops = closed.Count(r => r.Attempts >= 2 || LoopEnders.Contains(r.Outcome) || r.CustomerRepliedAt is not null);
        var reachable = counted.Where(r => r.Phone is not null && r.Outcome != Outcomes.WrongNumber).ToList();
        var bookings = reachable.Count(r => Outcomes.Bookings.Contains(r.Outcome ?? ""));
        var afterHours = calls.Where(r => r.AfterHours).ToList();
        var afterHoursOnTime = afterHours.Count(r => r.FirstAttemptAt is { } at && at <= r.FirstAttemptDueAt);
        var texted = counted.Where(r => r.SmsSent).ToList();
        var optedOut = texted.Count(r => r.Outcome == Outcomes.OptedOut);

        var median = Median(minutes);
        var optOutRate = Rate(optedOut, texted.Count);
        return new List<Figure>
        {
            new("timeToFirstAttempt", median, "minutes", 10, 5, "at-most", median is null ? null : median <= 10, minutes.Count,
                "Median minutes from the start of an item's clock (the next opening, for after-hours calls) to its first call attempt; calls with a number only."),
            Percent("twoAttemptCompletion", completedLoops, closed.Count, 80, null,
                "Closed items whose loop was finished: two attempts, or ended early by a booking, reschedule, reply, STOP or wrong number."),
            Percent("recoveryRate", bookings, reachable.Count, null, null,
                "Bookings (booked-job, booked-estimate) by disposition out of reachable numbers (not withheld, not wrong numbers); texts sent never count."),
            Percent("afterHoursFirstAttemptOnTime", afterHoursOnTime, afterHours.Count, 90, null,
                "After-hours calls whose first attempt came by Recovery:AfterHoursFirstAttemptBy on the morning they started."),
            new("smsOptOutRate", optOutRate, "percent", 3, null, "at-most", optOutRate is null ? null : optOutRate <= 3, texted.Count,
                "Items whose loop SMS was followed by STOP, out of items that were texted."),
        };
    }

    private static double? Median(List<double> values)
    {
        if (values.Count == 0)
        {
            return null;
        }

        values.Sort();
        var mid = values.Count / 2;
        return Math.Round(values.Count % 2 == 1 ? values[mid] : (values[mid - 1] + values[mid]) / 2, 1);
    }

    private static double? Rate(long part, long whole) => whole == 0 ? null : Math.Round(100.0 * part / whole, 1);

    private static Figure Percent(string name, long part, long whole, double? target, double? stretch, string definition)
    {
        var value = Rate(part, whole);
        return new Figure(name, value, "percent", target, stretch, "at-least", target is null || value is null ? null : value >= target, whole, definition);
    }
}
