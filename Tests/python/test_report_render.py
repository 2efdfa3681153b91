"""The HTML report rendered by headless Chromium (Debian package `chromium`): the screenshot must
not be blank and must show the heatmap (its blue cells and the red frames of failing cells).
Skipped when no Chromium is installed (it is not part of scripts/ensure-deps.sh: ~300 MB)."""
import shutil
import struct
import subprocess
import zlib

import numpy as np
import pytest

import stasis

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


def read_png(path):
    """Minimal PNG reader (8-bit RGB/RGBA, not interlaced): enough for Chromium's screenshots."""
    data = open(path, "rb").read()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    pos, idat, header = 8, b"", None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos : pos + 8])
        body = data[pos + 8 : pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat += body
        pos += 12 + length
    width, height, depth, colour, _, _, interlace = header
    assert depth == 8 and colour in (2, 6) and interlace == 0, header
    bpp = 3 if colour == 2 else 4
    raw = np.frombuffer(zlib.decompress(idat), dtype=np.uint8).reshape(height, 1 + width * bpp)
    out = np.zeros((height, width * bpp), dtype=np.uint8)
    prior = np.zeros(width * bpp, dtype=np.int32)
    for y in range(height):
        kind, line = raw[y, 0], raw[y, 1:].astype(np.int32)
        if kind == 0:
            row = line
        elif kind == 2:
            row = (line + prior) & 255
        elif kind == 1:  # Sub: running sum per channel
            row = np.cumsum(line.reshape(width, bpp), axis=0).reshape(-1) & 255
        else:  # Average and Paeth depend on the previous pixel: per pixel, vectorised over channels
            row = np.zeros_like(line)
            for x in range(width):
                a = row[(x - 1) * bpp : x * bpp] if x else np.zeros(bpp, np.int32)
                b = prior[x * bpp : (x + 1) * bpp]
                if kind == 3:
                    predictor = (a + b) // 2
                else:
                    c = prior[(x - 1) * bpp : x * bpp] if x else np.zeros(bpp, np.int32)
                    p = a + b - c
                    pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    predictor = np.where((pa <= pb) & (pa <= pc), a, np.where(pb <= pc, b, c))
                row[x * bpp : (x + 1) * bpp] = (line[x * bpp : (x + 1) * bpp] + predictor) & 255
        out[y] = row
        prior = row
    return out.reshape(height, width, bpp)[:, :, :3]


def near(image, rgb, tolerance=12):
    return int(np.sum(np.all(np.abs(image.astype(np.int32) - np.array(rgb)) <= tolerance, axis=2)))


@pytest.mark.skipif(CHROMIUM is None, reason="chromium not installed (apt-get install chromium)")
def test_report_renders_in_headless_chromium(tmp_path):
    rng = np.random.default_rng(0)
    centres = rng.standard_normal((8, 24))
    labels = rng.integers(0, 8, 300)
    base = centres[labels] + 1.2 * rng.standard_normal((300, 24))
    versions = [(base + 0.5 * v * rng.standard_normal(base.shape)).astype(np.float32) for v in range(3)]
    report = stasis.evaluate(versions, labels, title="Render check")
    assert not report.gate(3, [1, 2]).passed  # noisier versions: failing cells to mark
    page = tmp_path / "report.html"
    shot = tmp_path / "report.png"
    report.write_html(page)
    subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1200,1100",
         f"--screenshot={shot}", page.as_uri()],
        check=True, capture_output=True, timeout=180,
    )
    image = read_png(shot)
    assert image.shape[:2] == (1100, 1200)
    colours = len(np.unique(image.reshape(-1, 3)[::7], axis=0))
    assert colours > 50, f"blank-looking screenshot: {colours} colours"
    background = near(image, (241, 245, 249), 2)
    assert background < 0.8 * image.shape[0] * image.shape[1], "the page is mostly background"
    assert near(image, (220, 38, 38), 20) > 400, "no red failure marks (FAIL badge, frames)"
    deep_blue = near(image, (23, 37, 84), 30) + near(image, (30, 64, 175), 30)
    assert deep_blue > 2000, "no dark heatmap cells"
    light_blue = near(image, (147, 197, 253), 40) + near(image, (59, 130, 246), 40)
    assert light_blue > 500, "no mid-scale heatmap cells"
