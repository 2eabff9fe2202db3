using System.Text;
using RecoveryComms.Orchestrator.Integrations;

namespace RecoveryComms.Orchestrator.Tests.Integrations;

public sealed class WebhookSignatureTests
{
    // The worked example of docs/integrations.md. The expected v1 was computed outside .NET:
    //   printf '%s' "1795021200.$BODY" | openssl dgst -sha256 -hmac "$SECRET"
    private const string Secret = "whsec_oW2itohei6TYyLGgte-Ji4SPUGIv_j0Ng9p6TCD5YlY";
    private const long Timestamp = 1795021200; // 2026-11-18T17:00:00Z
    private const string Body = """{"id":"019a9a3c-5c00-7000-8000-000000000001","type":"recovery.created","occurredAt":"2026-11-18T16:58:12+00:00","item":{"id":"7f0c2d3e-0000-4000-8000-000000000042","type":"missed-call","status":"needs-callback","phone":"+13125550142"}}""";

    [Fact]
    public void Header_WorkedExample_MatchesOpenSsl()
    {
        var header = WebhookSignature.Header(Secret, Timestamp, Encoding.UTF8.GetBytes(Body));

        Assert.Equal("t=1795021200,v1=88f9c7a52c06c2f3e5e109823c3bf19c8dd07210177e9d57ccd911cd8514c387", header);
    }

    [Fact]
    public void V1_AnyChangedByteOrTimestamp_ChangesTheSignature()
    {
        var body = Encoding.UTF8.GetBytes(Body);
        var tampered = Encoding.UTF8.GetBytes(Body.Replace("+13125550142", "+13125550143", StringComparison.Ordinal));

        var original = WebhookSignature.V1(Secret, Timestamp, body);

        Assert.NotEqual(original, WebhookSignature.V1(Secret, Timestamp, tampered));
        Assert.NotEqual(original, WebhookSignature.V1(Secret, Timestamp + 1, body));
        Assert.NotEqual(original, WebhookSignature.V1(Secret + "x", Timestamp, body));
    }

    [Fact]
    public void NewSecret_Is32RandomBytesBase64UrlWithPrefix()
    {
        var a = WebhookSignature.NewSecret();
        var b = WebhookSignature.NewSecret();

        Assert.NotEqual(a, b);
        Assert.Matches("^whsec_[A-Za-z0-9_-]{43}$", a);
    }
}
