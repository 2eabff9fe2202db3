using System.Net;
using System.Text.Json;

namespace RecoveryComms.Orchestrator.Tests.Queue;

/// <summary>The limbo note is shown in the timeline and the queue: bounded, and free of characters that hide text.</summary>
public sealed class LimboNoteTests(LoopHost host) : IClassFixture<LoopHost>
{
    private static Guid Id(JsonElement item) => item.GetProperty("id").GetGuid();

    /// <summary>A fresh item claimed by a fresh CSR, who may park it.</summary>
    private async Task<(LoopHost.User Csr, Guid Item, string Phone)> ClaimedAsync()
    {
        var csr = await host.UserAsync("csr");
        var phone = LoopHost.NewPhone();
        await host.MissAsync(phone);
        var item = Id(await host.ItemOfAsync(csr, phone));
        Assert.Equal(HttpStatusCode.OK, (await host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{item}/claim")).StatusCode);
        return (csr, item, phone);
    }

    private Task<HttpResponseMessage> ParkAsync(LoopHost.User csr, Guid item, string note) =>
        host.SendAsync(csr, HttpMethod.Post, $"/api/recoveries/{item}/limbo", new { nextCheckAt = host.Clock.Now.AddDays(1), note });

    [Theory]
    [InlineData("too long", 501)]
    [InlineData("NUL \u0000 inside", 0)]
    [InlineData("ESC \u001b[2J clears a terminal", 0)]
    [InlineData("a lone carriage return\roverwrites the line", 0)]
    [InlineData("tab\tseparated", 0)]
    [InlineData("right-to-left override \u202Etxt.exe", 0)]
    public async Task Limbo_WithANoteTooLongOrWithControlCharacters_Is400AndTheItemStaysOpen(string note, int length)
    {
        var (csr, item, phone) = await ClaimedAsync();
        var text = length > 0 ? new string('x', length) : note;

        using var response = await ParkAsync(csr, item, text);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
        var problem = await LoopHost.ReadAsync<JsonElement>(response);
        Assert.Equal("https://recoverycomms.dev/problems/invalid-note", problem.GetProperty("type").GetString());
        Assert.Contains(length > 0 ? "at most 500" : "no other control characters", problem.GetProperty("title").GetString(), StringComparison.Ordinal);
        Assert.NotEqual("limbo", (await host.ItemOfAsync(csr, phone)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Limbo_WithA500CharacterNoteOnSeveralLines_IsAcceptedIntoTheTimeline()
    {
        var (csr, item, _) = await ClaimedAsync();
        var note = "waiting on parts\r\ncall after 3 pm\n" + new string('x', 500 - "waiting on parts\ncall after 3 pm\n".Length);

        using var response = await ParkAsync(csr, item, note);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        var timeline = (await host.DetailAsync(csr, item)).GetProperty("timeline").EnumerateArray();
        Assert.Contains(timeline, t => t.GetProperty("kind").GetString() == "limbo"
            && t.GetProperty("detail").GetString()!.Contains("waiting on parts\ncall after 3 pm\nxxx", StringComparison.Ordinal));
    }
}
