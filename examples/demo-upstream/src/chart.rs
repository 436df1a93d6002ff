//! Draws the small bar chart that `render_chart` returns as an image content block.
//!
//! The gateway must relay binary results untouched, so the demo returns a real PNG rather
//! than a placeholder. The image is tiny and uncompressed (stored deflate blocks), which
//! keeps this encoder short and needs no image crate; any PNG decoder reads it.

/// Pixel height of the chart.
const HEIGHT: usize = 40;

/// Pixel width of one bar and of the gap after it.
const BAR_WIDTH: usize = 10;
const GAP: usize = 4;

const BACKGROUND: [u8; 3] = [255, 255, 255];
const BAR: [u8; 3] = [150, 160, 175];
const HIGHLIGHT: [u8; 3] = [230, 120, 30];

/// One bar of the chart.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bar {
    pub(crate) value: usize,
    pub(crate) highlighted: bool,
}

/// Renders `bars` left to right, scaled to the tallest, as PNG bytes.
pub(crate) fn bar_chart_png(bars: &[Bar]) -> Vec<u8> {
    let width = GAP + bars.len() * (BAR_WIDTH + GAP);
    let tallest = bars.iter().map(|bar| bar.value).max().unwrap_or(0).max(1);

    let mut scanlines = Vec::with_capacity(HEIGHT * (1 + width * 3));
    for row in 0..HEIGHT {
        scanlines.push(0);
        let level_from_bottom = HEIGHT - row;
        for x in 0..width {
            let colour = pixel(bars, x, level_from_bottom, tallest);
            scanlines.extend_from_slice(&colour);
        }
    }

    encode_png(width, HEIGHT, &scanlines)
}

/// The colour at column `x`, `level` pixels up from the bottom edge.
fn pixel(bars: &[Bar], x: usize, level: usize, tallest: usize) -> [u8; 3] {
    let Some(offset) = x.checked_sub(GAP) else {
        return BACKGROUND;
    };
    let (index, within) = (offset / (BAR_WIDTH + GAP), offset % (BAR_WIDTH + GAP));
    let Some(bar) = bars.get(index).filter(|_| within < BAR_WIDTH) else {
        return BACKGROUND;
    };

    let drawable = HEIGHT - GAP;
    let bar_height = (bar.value * drawable).div_ceil(tallest);
    match (level <= bar_height, bar.highlighted) {
        (false, _) => BACKGROUND,
        (true, true) => HIGHLIGHT,
        (true, false) => BAR,
    }
}

/// Wraps RGB scanlines (each led by filter byte 0) into a PNG file.
fn encode_png(width: usize, height: usize, scanlines: &[u8]) -> Vec<u8> {
    let mut header = Vec::with_capacity(13);
    header.extend_from_slice(&dimension(width));
    header.extend_from_slice(&dimension(height));
    header.extend_from_slice(&[8, 2, 0, 0, 0]);

    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    write_chunk(&mut png, b"IHDR", &header);
    write_chunk(&mut png, b"IDAT", &zlib_stored(scanlines));
    write_chunk(&mut png, b"IEND", &[]);
    png
}

/// A chart dimension as PNG's big-endian 32-bit field; the chart is far below the limit.
fn dimension(pixels: usize) -> [u8; 4] {
    u32::try_from(pixels).unwrap_or(u32::MAX).to_be_bytes()
}

/// Appends one chunk: length, type, data, CRC of type and data.
fn write_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let length = u32::try_from(data.len()).unwrap_or(u32::MAX);
    png.extend_from_slice(&length.to_be_bytes());

    let start = png.len();
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let crc = crc32(&png[start..]);
    png.extend_from_slice(&crc.to_be_bytes());
}

/// A zlib stream of stored (uncompressed) deflate blocks.
fn zlib_stored(data: &[u8]) -> Vec<u8> {
    let mut out = vec![0x78, 0x01];
    let mut blocks = data.chunks(usize::from(u16::MAX)).peekable();
    if blocks.peek().is_none() {
        out.extend_from_slice(&[1, 0, 0, 0xff, 0xff]);
    }

    while let Some(block) = blocks.next() {
        let last = u8::from(blocks.peek().is_none());
        let length = u16::try_from(block.len()).unwrap_or(u16::MAX);
        out.push(last);
        out.extend_from_slice(&length.to_le_bytes());
        out.extend_from_slice(&(!length).to_le_bytes());
        out.extend_from_slice(block);
    }

    out.extend_from_slice(&adler32(data).to_be_bytes());
    out
}

/// CRC-32 (IEEE), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = u32::MAX;
    for byte in bytes {
        crc ^= u32::from(*byte);
        for _ in 0..8 {
            let mask = (crc & 1).wrapping_neg();
            crc = (crc >> 1) ^ (0xEDB8_8320 & mask);
        }
    }
    !crc
}

/// Adler-32, as a zlib stream ends with it.
fn adler32(bytes: &[u8]) -> u32 {
    const MODULUS: u32 = 65_521;
    let (mut a, mut b) = (1_u32, 0_u32);
    for byte in bytes {
        a = (a + u32::from(*byte)) % MODULUS;
        b = (b + a) % MODULUS;
    }
    (b << 16) | a
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn checksums_match_known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(adler32(b"Wikipedia"), 0x11E6_0398);
    }

    #[test]
    fn chart_is_a_png_with_the_expected_size() {
        let bars = [
            Bar {
                value: 1,
                highlighted: false,
            },
            Bar {
                value: 3,
                highlighted: true,
            },
        ];

        let png = bar_chart_png(&bars);

        assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
        assert_eq!(&png[12..16], b"IHDR");
        assert_eq!(&png[16..20], &32_u32.to_be_bytes());
        assert_eq!(&png[20..24], &40_u32.to_be_bytes());
        assert_eq!(&png[png.len() - 8..png.len() - 4], b"IEND");
    }
}
