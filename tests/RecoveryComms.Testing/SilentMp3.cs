namespace RecoveryComms.Testing;

/// <summary>
/// A valid MP3 of silence, made in code so that no audio file is checked in: MPEG-2 Layer III frames, 16 kHz mono at
/// 8 kbit/s. Each frame is 36 bytes (a 4-byte header, then all-zero side information and main data, which decodes to
/// silence) and lasts 576 samples, 36 ms.
/// </summary>
public static class SilentMp3
{
    public const int FrameBytes = 36;

    /// <summary>0xFFF3: frame sync, MPEG-2, Layer III, no CRC. 0x18: 8 kbit/s, 16 kHz, no padding. 0xC0: mono.</summary>
    private static readonly byte[] Header = [0xFF, 0xF3, 0x18, 0xC0];

    /// <summary>About one second of silence (28 frames, 1,008 bytes).</summary>
    public static byte[] Create(int frames = 28)
    {
        var audio = new byte[frames * FrameBytes];
        for (var frame = 0; frame < frames; frame++)
        {
            Header.CopyTo(audio, frame * FrameBytes);
        }

        return audio;
    }
}
