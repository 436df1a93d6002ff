//! Small binary payloads shared by tools, prompts and resources.
//!
//! They are kept tiny and fixed so that results are byte-for-byte stable
//! between a direct run and a run through the gateway.

/// A 1×1 red pixel, PNG, base64-encoded.
pub(crate) const RED_PIXEL_PNG: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR42mP4z8AAAAMBAQD3A0FDAAAAAElFTkSuQmCC";

/// Sixteen samples of silence, 8 kHz mono 8-bit PCM WAV, base64-encoded.
pub(crate) const SILENCE_WAV: &str =
    "UklGRjQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YRAAAACAgICAgICAgICAgICAgICA";

/// The MIME type of [`RED_PIXEL_PNG`].
pub(crate) const PNG: &str = "image/png";

/// The MIME type of [`SILENCE_WAV`].
pub(crate) const WAV: &str = "audio/wav";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payloads_start_with_their_format_magic() {
        // "\x89PNG" and "RIFF" encode to these base64 prefixes.
        assert!(RED_PIXEL_PNG.starts_with("iVBORw0KGgo"));
        assert!(SILENCE_WAV.starts_with("UklGR"));
    }
}
