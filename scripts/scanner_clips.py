"""Fake-camera clips for the scanner's browser tests: a certificate PDF, rasterised, as a phone would film it.

    .venv/bin/python scripts/scanner_clips.py CERTIFICATE.pdf OUT.y4m [--tilt DEGREES] [--blur RADIUS]

The first page is rasterised (pypdfium2), the QR code found on it (zxing-cpp), and the part of the page
around it framed at 640×480 as a camera held over the certificate would see it: leading frames of an
empty desk, then the code, perhaps tilted and blurred. The clip is a YUV4MPEG2 file (4:2:0), what
Chromium's ``--use-file-for-fake-video-capture`` plays in a loop as the camera.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import pypdfium2
import zxingcpp
from PIL import Image, ImageFilter

WIDTH, HEIGHT, FPS = 640, 480, 10
DESK = (118, 112, 104)


def page_image(pdf: bytes, dpi: int = 150) -> Image.Image:
    """The first page as an RGB image."""
    document = pypdfium2.PdfDocument(pdf)
    try:
        return document[0].render(scale=dpi / 72).to_pil().convert("RGB")
    finally:
        document.close()


def framed(page: Image.Image, tilt: float = 0.0, blur: float = 0.0, code_share: float = 0.55) -> Image.Image:
    """The part of ``page`` around its QR code, the code filling ``code_share`` of the frame's height."""
    found = zxingcpp.read_barcodes(page, formats=zxingcpp.BarcodeFormat.QRCode)
    if not found:
        raise ValueError("no QR code on the page")
    corners = found[0].position
    xs = [corners.top_left.x, corners.top_right.x, corners.bottom_left.x, corners.bottom_right.x]
    ys = [corners.top_left.y, corners.top_right.y, corners.bottom_left.y, corners.bottom_right.y]
    size = max(max(xs) - min(xs), max(ys) - min(ys))
    scale = code_share * HEIGHT / size
    centre_x, centre_y = (min(xs) + max(xs)) / 2, (min(ys) + max(ys)) / 2
    half_w, half_h = WIDTH / scale / 2, HEIGHT / scale / 2
    box = (int(centre_x - half_w), int(centre_y - half_h), int(centre_x + half_w), int(centre_y + half_h))
    view = page.crop(box).resize((WIDTH, HEIGHT), Image.Resampling.LANCZOS)
    if tilt:
        view = view.rotate(tilt, resample=Image.Resampling.BICUBIC, fillcolor=DESK)
    if blur:
        view = view.filter(ImageFilter.GaussianBlur(blur))
    return view


def _yuv420(image: Image.Image) -> bytes:
    y, u, v = image.convert("YCbCr").split()
    half = (WIDTH // 2, HEIGHT // 2)
    return (
        y.tobytes()
        + u.resize(half, Image.Resampling.BILINEAR).tobytes()
        + v.resize(half, Image.Resampling.BILINEAR).tobytes()
    )


def write_clip(view: Image.Image, out: Path, lead_frames: int = 10, code_frames: int = 30) -> None:
    """``lead_frames`` of an empty desk, then ``code_frames`` of ``view``, at 10 frames a second."""
    desk = _yuv420(Image.new("RGB", (WIDTH, HEIGHT), DESK))
    code = _yuv420(view)
    with out.open("wb") as clip:
        clip.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F{FPS}:1 Ip A1:1 C420jpeg XYSCSS=420JPEG\n".encode())
        for frame in [desk] * lead_frames + [code] * code_frames:
            clip.write(b"FRAME\n" + frame)


def clip(pdf: bytes, out: Path, tilt: float = 0.0, blur: float = 0.0, lead_frames: int = 10) -> Image.Image:
    """Write the clip of a certificate PDF to ``out``; the frame that shows the code."""
    view = framed(page_image(pdf), tilt, blur)
    write_clip(view, out, lead_frames)
    return view


def main() -> int:
    """The command line: one PDF in, one clip out."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("pdf", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("--tilt", type=float, default=0.0, help="degrees the camera is turned")
    parser.add_argument("--blur", type=float, default=0.0, help="Gaussian blur radius in pixels (out of focus)")
    args = parser.parse_args()
    clip(args.pdf.read_bytes(), args.out, args.tilt, args.blur)
    print(args.out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
