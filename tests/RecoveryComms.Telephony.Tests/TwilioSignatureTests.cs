using RecoveryComms.Telephony.Signatures;

namespace RecoveryComms.Telephony.Tests;

// The vectors are the ones Twilio's own SDKs test against (shared/docs/twilio-facts.md §1.4).
public sealed class TwilioSignatureTests
{
    private const string Token = "12345";
    private const string U = "https://mycompany.com/myapp.php?foo=1&bar=2";

    private static readonly KeyValuePair<string, string>[] P5 =
    [
        new("CallSid", "CA1234567890ABCDE"),
        new("Caller", "+14158675309"),
        new("Digits", "1234"),
        new("From", "+14158675309"),
        new("To", "+18005551212"),
    ];

    [Theory]
    [InlineData("V1", U, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true)]
    [InlineData("V2", U, "NOTRSOYDt4T1cUTdK1PDd93/VVr8B8=", false)]
    [InlineData("V3", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true)]
    [InlineData("V4", "http://mycompany.com:1234/myapp.php?foo=1&bar=2", "Zmvh+3yNM1Phv2jhDCwEM3q5ebU=", true)]
    [InlineData("V5", U, "kvajT1Ptam85bY51eRf/AJRuM3w=", true)]
    [InlineData("V6", "http://mycompany.com/myapp.php?foo=1&bar=2", "0ZXoZLH/DfblKGATFgpif+LLRf4=", true)]
    [InlineData("V7", "https://mycompany.com:1234/myapp.php?foo=1&bar=2", "CYn1h0gLBdNxDGkKJg6hYohgeD8=", true)]
    [InlineData("V8", "https://MyCompany.com/myapp.php?foo=1&bar=2", "g9IN/x4Cft2g517EjYvEvM/W7LU=", true)]
    [InlineData("V9", "https://MyCompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false)]
    [InlineData("V10", "https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "PCqOZm8cnu/L6+u5i5fuEd+Iac4=", true)]
    [InlineData("V11", "https://MyCompany.com:1234/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false)]
    [InlineData("V12", "http://MyCompany.com/myapp.php?foo=1&bar=2", "XY7AlKOKL6im4yWyX84gldUrtis=", true)]
    [InlineData("V13", "http://MyCompany.com/myapp.php?foo=1&bar=2", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false)]
    [InlineData("V14", "http://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "PJ08CxXr7KLPjEQCTc8LkUSMwSM=", true)]
    [InlineData("V15", "HTTP://username:password@MyCompany.com/myapp.php?foo=1&bar=2", "hy/l8pca+LFms4cvRdv8uiP6NGc=", true)]
    [InlineData("V16", "http://Username:Password@MyCompany.com/myapp.php?foo=1&bar=2", "SkTSKyDJH9kUlhItI0slbgZ1UsI=", true)]
    [InlineData("V17", "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "CukzLTc1tT5dXEDIHm/tKBanW10=", true)]
    [InlineData("V18", "https://user@mycompany.com/myapp.php?foo=1&bar=2", "2YRLlVAflCqxaNicjMpJcSTgzSs=", true)]
    [InlineData("V19", "https://user:pass@mycompany.com/myapp.php?foo=1&bar=2", "ZQFR1PTIZXF2MXB8ZnKCvnnA+rI=", true)]
    [InlineData("V22", "https://mycompany.com/myapp.php?foo=1&bar=2&Body=It's+amazing", "TfZzewPq8wqrGlMfyAud8+/IvJ0=", true)]
    [InlineData("fragment", U + "#rc=3&rp=ct,rt,5xx", "RSOYDt4T1cUTdK1PDd93/VVr8B8=", true)]
    public void IsValid_SdkVectorsWithFiveParameters_MatchTwilio(string vector, string url, string signature, bool expected)
    {
        Assert.True(expected == TwilioSignature.IsValid(Token, url, P5, signature), vector);
    }

    [Fact]
    public void IsValid_FormPostSignedOverTheUrlAlone_IsRefused()
    {
        // A signature Twilio made for this URL without parameters (a GET, or a JSON webhook's URL) must not carry
        // forged form parameters: for a form POST the parameters are part of what is signed.
        var urlAlone = TwilioSignature.Compute(Token, U, []);

        Assert.True(TwilioSignature.IsValid(Token, U, [], urlAlone));
        Assert.False(TwilioSignature.IsValid(Token, U, P5, urlAlone));
        Assert.False(TwilioSignature.IsValid(Token, U + "&bodySHA256=" + new string('0', 64), P5, TwilioSignature.Compute(Token, U + "&bodySHA256=" + new string('0', 64), [])));
    }

    [Fact]
    public void IsValid_RepeatedKeysInAnyOrder_SortsDistinctValues()
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("Sid", "CA123"), new("SidAccount", "AC123"), new("Digits", "5678"), new("Digits", "1234"), new("Digits", "1234"),
        ];

        Assert.True(TwilioSignature.IsValid(Token, U, parameters, "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
        Assert.True(TwilioSignature.IsValid(Token, U, parameters.Reverse(), "IK+Dwps556ElfBT0I3Rgjkr1wJU="));
    }

    [Fact]
    public void IsValid_RepeatedBindingAddresses_MatchesNodeVector()
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("MessagingBinding.Address", "+1415xxxxxxx"), new("MessagingBinding.Address", "+1325xxxxxxx"),
        ];

        Assert.True(TwilioSignature.IsValid(Token, U, parameters, "83O6e2vORAoJHUNzJjDWN1jz+BA="));
    }

    [Fact]
    public void IsValid_LegacyDocsExample_IsValid()
    {
        KeyValuePair<string, string>[] parameters =
        [
            new("CallSid", "CA1234567890ABCDE"), new("Caller", "+12349013030"), new("Digits", "1234"),
            new("From", "+12349013030"), new("To", "+18005551212"),
        ];

        Assert.True(TwilioSignature.IsValid(Token, U, parameters, "0/KCTR6DLpKmkAf8muzZqo1nDgQ="));
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    public void IsValid_MissingSignature_IsInvalid(string? signature)
    {
        Assert.False(TwilioSignature.IsValid(Token, U, P5, signature));
    }

    [Fact]
    public void IsValid_ParameterChangedAfterSigning_IsInvalid()
    {
        var tampered = P5.Select(p => p.Key == "From" ? new KeyValuePair<string, string>("From", "+14158675300") : p);

        Assert.False(TwilioSignature.IsValid(Token, U, tampered, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Fact]
    public void IsValid_OtherAuthToken_IsInvalid()
    {
        Assert.False(TwilioSignature.IsValid("54321", U, P5, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
    }

    [Fact]
    public void Compute_RoundTripsThroughIsValid_WithPortVariants()
    {
        var signature = TwilioSignature.Compute("s3cr3t", "https://example.com:443/path?test=param", []);

        Assert.True(TwilioSignature.IsValid("s3cr3t", "https://example.com/path?test=param", [], signature));
        Assert.False(TwilioSignature.IsValid("s3cr3t", "https://example.com/path?test=param2", [], signature));
    }

    private const string JsonBody = "{\"property\": \"value\", \"boolean\": true}";
    private const string JsonHash = "0a1ff7634d9ab3b95db5c9a2dfe9416e41502b283a80c7cf19632632f96e6620";

    [Theory]
    [InlineData("J3", U + "&bodySHA256=" + JsonHash, JsonBody, "a9nBmqA0ju/hNViExpshrM61xv4=", true)]
    [InlineData("J4", "https://mycompany.com/myapp.php?bodySHA256=" + JsonHash, JsonBody, "y77kIzt2vzLz71DgmJGsen2scGs=", true)]
    [InlineData("J5", U, JsonBody, "RSOYDt4T1cUTdK1PDd93/VVr8B8=", false)]
    [InlineData("J6", U + "&bodySHA256=44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a", "{}", "Ldidvp12m26NI7eqEvxnEpkd9Hc=", true)]
    [InlineData("body changed", U + "&bodySHA256=" + JsonHash, "{\"property\": \"other\"}", "a9nBmqA0ju/hNViExpshrM61xv4=", false)]
    public void IsValidWithBody_SdkVectors_MatchTwilio(string vector, string url, string body, string signature, bool expected)
    {
        Assert.True(expected == TwilioSignature.IsValidWithBody(Token, url, body, signature), vector);
    }

    [Theory]
    [InlineData(JsonBody, JsonHash, true)]
    [InlineData(JsonBody, "WRONG_HASH", false)]
    [InlineData("{\"CallSid\":\"CA1234567890ABCDE\",\"Caller\":\"+12349013030\"}", "5ccde7145dfb8f56479710896586cb9d5911809d83afbe34627818790db0aec9", true)]
    public void IsBodyHashValid_Vectors(string body, string hash, bool expected)
    {
        Assert.Equal(expected, TwilioSignature.IsBodyHashValid(body, hash));
    }

    [Fact]
    public void IsValidWithBody_ForgedSignature_IsRefusedEvenWhenTheBodyHashMatches()
    {
        // The body hash alone proves nothing: anyone can hash a body they wrote.
        Assert.False(TwilioSignature.IsValidWithBody(Token, U + "&bodySHA256=" + JsonHash, JsonBody, "RSOYDt4T1cUTdK1PDd93/VVr8B8="));
        Assert.False(TwilioSignature.IsValidWithBody(Token, U + "&bodySHA256=" + JsonHash, JsonBody, null));
        Assert.False(TwilioSignature.IsValidWithBody("54321", U + "&bodySHA256=" + JsonHash, JsonBody, "a9nBmqA0ju/hNViExpshrM61xv4="));
    }

    [Theory]
    [InlineData("")]
    [InlineData(null)]
    public void IsValidWithBody_NoUrl_IsInvalid(string? url) => Assert.False(TwilioSignature.IsValidWithBody(Token, url!, JsonBody, "a9nBmqA0ju/hNViExpshrM61xv4="));

    [Fact]
    public void IsValidWithBody_BodyHashAfterTheFragment_DoesNotCount()
    {
        var url = U + "#bodySHA256=" + JsonHash;

        Assert.False(TwilioSignature.IsValidWithBody(Token, url, JsonBody, TwilioSignature.Compute(Token, url, [])));
    }

    [Fact]
    public void IsValid_EmptyUrlOrToken_IsInvalid()
    {
        Assert.False(TwilioSignature.IsValid(Token, "", [], TwilioSignature.Compute(Token, "", [])));
        Assert.False(TwilioSignature.IsValid("", U, [], TwilioSignature.Compute("", U, [])));
    }

    [Fact]
    public void Compute_ANullValue_SignsAsEmpty() =>
        Assert.Equal(TwilioSignature.Compute(Token, U, [new("Digits", "")]), TwilioSignature.Compute(Token, U, [new("Digits", null!)]));

    [Fact]
    public void IsValid_UrlWithoutScheme_IsCheckedAsGiven()
    {
        const string url = "mycompany.com/myapp.php?foo=1&bar=2";

        Assert.True(TwilioSignature.IsValid(Token, url, P5, TwilioSignature.Compute(Token, url, P5)));
    }

    [Theory]
    [InlineData("https://mycompany.com", "https://mycompany.com:443")]
    [InlineData("https://mycompany.com:443", "https://mycompany.com")]
    [InlineData("http://mycompany.com?x=1", "http://mycompany.com:80?x=1")]
    public void IsValid_HostWithoutPath_TogglesTheDefaultPort(string url, string signedUrl) =>
        Assert.True(TwilioSignature.IsValid(Token, url, P5, TwilioSignature.Compute(Token, signedUrl, P5)));

    [Fact]
    public void IsValid_SchemeWithoutADefaultPort_OnlyTheUrlAsGiven()
    {
        const string url = "ftp://mycompany.com/file";

        Assert.True(TwilioSignature.IsValid(Token, url, P5, TwilioSignature.Compute(Token, url, P5)));
        Assert.False(TwilioSignature.IsValid(Token, url, P5, TwilioSignature.Compute(Token, "ftp://mycompany.com:21/file", P5)));
    }

    [Theory]
    [InlineData("http://[::1]/myapp.php", "http://[::1]:80/myapp.php")]
    [InlineData("http://[::1]:80/myapp.php", "http://[::1]/myapp.php")]
    [InlineData("https://user:pass@mycompany.com/myapp.php", "https://user:pass@mycompany.com:443/myapp.php")]
    public void IsValid_IPv6AndUserInfo_TheColonsThereAreNoPort(string url, string signedUrl) =>
        Assert.True(TwilioSignature.IsValid(Token, url, P5, TwilioSignature.Compute(Token, signedUrl, P5)));

    [Fact]
    public void Arguments_Null_ThrowNamingTheArgument()
    {
        Assert.Throws<ArgumentNullException>("authToken", () => TwilioSignature.Compute(null!, U, P5));
        Assert.Throws<ArgumentNullException>("url", () => TwilioSignature.Compute(Token, null!, P5));
        Assert.Throws<ArgumentNullException>("parameters", () => TwilioSignature.Compute(Token, U, null!));
        Assert.Throws<ArgumentNullException>("authToken", () => TwilioSignature.IsValid(null!, U, P5, "x"));
        Assert.Throws<ArgumentNullException>("parameters", () => TwilioSignature.IsValid(Token, U, null!, "x"));
        Assert.Throws<ArgumentNullException>("body", () => TwilioSignature.IsValidWithBody(Token, U, null!, "x"));
        Assert.Throws<ArgumentNullException>("body", () => TwilioSignature.IsBodyHashValid(null!, JsonHash));
        Assert.Throws<ArgumentNullException>("expectedHex", () => TwilioSignature.IsBodyHashValid(JsonBody, null!));
        Assert.Equal("X-Twilio-Signature", TwilioSignature.HeaderName);
    }

    [Fact]
    public void IsValidWithBody_UrlWithoutAQuery_IsInvalid()
    {
        const string url = "https://mycompany.com/myapp.php";

        Assert.False(TwilioSignature.IsValidWithBody(Token, url, JsonBody, TwilioSignature.Compute(Token, url, [])));
    }
}
