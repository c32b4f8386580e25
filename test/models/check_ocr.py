#!/usr/bin/env python3
"""Text recognition with the PaddleOCR models of rapidocr-onnxruntime, compiled by r1c
for the host, against ONNX Runtime on the same rendered images.

  PYTHONPATH=build/python python3 test/models/check_ocr.py --precision fp32,bf16 \\
      [--models-dir build/test/ocr-models] [--threads 2] [--min-agreement 0.95]

Recognizer: a fixed list of text lines (words, digits, punctuation) is drawn with PIL
in DejaVu Sans, black on white, and prepared as rapidocr prepares a line: resized to
the model's height (48) keeping its aspect ratio, scaled to [-1, 1] ((x/255 - 0.5) /
0.5), and padded with zeros to a width of at least 320. r1c compiles the widths 320
and 640 as shape buckets of one artifact; each line is padded to the smallest that
holds it, for both r1c and ONNX Runtime. Both outputs are decoded greedily (CTC: best
class per step, repeats merged, blanks dropped) with the dictionary the model carries
in its metadata. Reported per precision: line accuracy against the drawn strings, for
ONNX Runtime fp32 and r1c, and line agreement r1c vs ONNX Runtime fp32.

Detector: a rendered page (736 x 960, a multiple of 32 with rapidocr's 736-pixel short
side, so its preprocessing resizes nothing) goes through the DBNet detector; its
probability map is compared with ONNX Runtime's, and the boxes rapidocr's own
post-processing finds in each map are compared (reported, not asserted).
Classifier: every line at 48 x 192, its 0/180-degree label and scores compared.

For int8, whose compiler calibrates on sample inputs: --write-calibration DIR writes
inputs prepared the same way from other lines and another page, as ONNX test data
(DIR/MODEL/test_data_set_N/input_0.pb, MODEL the file's stem, the layout
bench/host_vs_onnxruntime.py --calibration-dir reads), and --r1c-option KEY=VALUE passes
r1c options on (`{model}` in VALUE becomes MODEL), e.g.
  --precision int8 --write-calibration /tmp/cal --r1c-option calibration=/tmp/cal/{model}

--ort-int8 also reads the lines with ONNX Runtime's own int8: the recognizer quantized
by bench/ort_int8.py (static, QDQ, ORT's recommended CPU settings), calibrated on the
--write-calibration inputs: the bar an int8 compiler is measured against (reported,
not asserted).

Asserted: at fp32, every line decodes as ONNX Runtime's, and each output of the three
models is within STYLE.md's model tolerance (relative error of the output norm
<= 1e-4); at any other precision, at least --min-agreement of the lines (the goal of
docs/precision.md, 95%, by default) decode as ONNX Runtime fp32's. At bf16 and fp16 the
recognizer is also run by ONNX Runtime with the format's rounding spelled out (every
MatMul's and Conv's inputs cast to it and back, sums in f32: what --precision asks
for), and r1c must read at least 95% of the lines as that does: what separates r1c
from fp32 is then the format's, not r1c's. Exits 77 (CTest's skip) with the reason
when the package or the font is missing.
"""
import argparse
import math
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "host"))
import ocr_models  # noqa: E402

SKIP = 77
FONT_PATHS = ["/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"]
NORM_RTOL = 1e-4  # STYLE.md: fp32 models, relative error of the output norm
# Share of lines r1c must read as ONNX Runtime does with the same rounding spelled out
# (sums in another order may still tip a near tie).
FAITHFUL = 0.95
REC_HEIGHT = 48
# 320: rapidocr's narrowest input; the longest line below is 509 wide. 8 columns a CTC step.
REC_WIDTHS = (320, 640)
CLS_SHAPE = (48, 192)
PAGE = (736, 960)  # height, width

LINES = [
    "Hello World", "The quick brown fox", "jumps over the lazy dog.", "OPEN 24 HOURS",
    "Invoice No. 20481", "Total: $1,234.56", "Phone 555-0199", "2024-03-15 08:30",
    "www.example.com", "user@example.org", "Room 42B, Floor 7", "Price 19.99 EUR",
    "ISBN 978-3-16-148410-0", "(optional) notes", "Section 3.2.1", "98.6%",
    "Keep left!", "No parking", "Model XJ-900", "Order #7781",
    "Mon Tue Wed Thu Fri", "January 1, 2025", "Batch size 64", "Speed limit 50",
    "Exit", "A1 B2 C3 D4", "100 + 250 = 350", "temperature 21.5C",
    "Line 27 of 40", "Paris London Tokyo", "QR code: ABC123", "Version 1.4.4",
    "3.14159", "hello, world", "Data & Science", "Serial 0xFF00",
    "MAX 120 km/h", "Page 12/30", "Net weight 500g", "Thank you!",
]
# Calibration's own text, none of it in LINES or PAGE_LINES.
CALIBRATION_LINES = [
    "Station 9 Platform B", "Call 0800-123-456", "Due: 2025-11-30", "Receipt #55012",
    "Fragile, handle with care", "Gate 17 closes 20:45", "CO2 emissions 118 g/km",
    "Discount 15% off", "Best before 04/26", "Ticket valid today only", "Row K Seat 23",
    "Quantity x3 @ 4.50", "Floor plan v2.1", "Open Mon-Sat 9-18", "Ages 12+", "Aisle 5",
]
PAGE_LINES = ["Hello World", "Invoice No. 20481", "Total: $1,234.56", "2024-03-15 08:30",
              "The quick brown fox jumps", "over the lazy dog.", "www.example.com",
              "Thank you!"]


class Skip(Exception):
    pass


def font(size):
    from PIL import ImageFont
    for path in FONT_PATHS:
        if os.path.exists(path):
            return ImageFont.truetype(path, size)
    raise Skip(f"no DejaVu Sans font at {FONT_PATHS} (Debian: fonts-dejavu-core)")


def render_line(text, size=32, margin=8):
    """The line drawn black on white with `margin` pixels around its ink, as RGB."""
    from PIL import Image, ImageDraw
    f = font(size)
    left, top, right, bottom = f.getbbox(text)
    img = Image.new("RGB", (right - left + 2 * margin, bottom - top + 2 * margin), "white")
    ImageDraw.Draw(img).text((margin - left, margin - top), text, fill="black", font=f)
    return img


def render_page(lines=PAGE_LINES):
    from PIL import Image, ImageDraw
    height, width = PAGE
    img = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(img)
    for i, text in enumerate(lines):
        draw.text((40 + 60 * (i % 3), 40 + 85 * i), text, fill="black", font=font(28 + 4 * (i % 3)))
    return img


def normalize(img):
    """HWC uint8 RGB to CHW float32 in [-1, 1], rapidocr's (x/255 - 0.5) / 0.5."""
    x = np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0
    return (x - 0.5) / 0.5


def fit_height(img, height, max_width):
    """Resized to `height` keeping the aspect ratio (width rounded up, at most
    max_width), normalized and zero-padded to max_width, as rapidocr does."""
    from PIL import Image
    width = min(max_width, int(math.ceil(height * img.width / img.height)))
    x = normalize(img.resize((width, height), Image.BILINEAR))
    padded = np.zeros((3, height, max_width), np.float32)
    padded[:, :, :width] = x
    return padded[None]


def rec_input(img):
    wanted = int(math.ceil(REC_HEIGHT * img.width / img.height))
    bucket = next((w for w in REC_WIDTHS if w >= wanted), REC_WIDTHS[-1])
    return fit_height(img, REC_HEIGHT, bucket)


def dictionary(rec_path):
    """The recognizer's classes: blank, the metadata's characters, then space."""
    import onnx
    model = onnx.load(rec_path, load_external_data=False)
    meta = {p.key: p.value for p in model.metadata_props}
    if "character" not in meta:
        raise SystemExit(f"{rec_path}: no 'character' metadata to decode with")
    return ["<blank>"] + meta["character"].splitlines() + [" "]


def ctc_greedy(probs, chars):
    """The best class per step, repeats merged, blanks (class 0) dropped."""
    best = probs.argmax(axis=-1)
    keep = np.ones(best.shape, bool)
    keep[1:] = best[1:] != best[:-1]
    return "".join(chars[i] for i in best[keep] if i != 0)


def same_ink(texts):
    """How many of `texts` are LINES but for their spaces, which the recognizer, trained
    on Chinese text, often drops or adds."""
    return sum(a.replace(" ", "") == b.replace(" ", "") for a, b in zip(texts, LINES))


def dim_sizes(model_path, sizes):
    """--dim options for the first input: axis -> sizes, named as r1c names them
    (the dim_param, or INPUT.AXIS where the model leaves the dim unnamed: no
    dim_param, '?' or -1)."""
    import onnx
    model = onnx.load(model_path, load_external_data=False)
    inp = model.graph.input[0]
    dims = {}
    for axis, d in enumerate(inp.type.tensor_type.shape.dim):
        if d.HasField("dim_value") and d.dim_value > 0:
            continue
        unnamed = not d.dim_param or d.dim_param == "?"
        name = f"{inp.name}.{axis}" if unnamed else d.dim_param
        dims[name] = list(sizes[axis])
    return dims


def norm_error(got, ref):
    if np.isnan(got).any():
        return float("inf")
    return float(np.linalg.norm(got.astype(np.float64) - ref) / max(np.linalg.norm(ref), 1e-30))


def detect_boxes(prob):
    """Boxes from rapidocr's own DB post-processing (its config.yaml settings), or None."""
    try:
        from rapidocr_onnxruntime.ch_ppocr_det.utils import DBPostProcess
    except Exception:  # noqa: BLE001 - OpenCV or the package layout missing: no boxes
        return None
    post = DBPostProcess(thresh=0.3, box_thresh=0.5, max_candidates=1000, unclip_ratio=1.6,
                         use_dilation=True, score_mode="fast")
    boxes, _ = post(prob, PAGE)
    return sorted(np.asarray(b).reshape(-1).round().astype(int).tolist() for b in boxes)


def boxes_text(mine, ref):
    if mine is None or ref is None:
        return "boxes: not compared (rapidocr's post-processing does not import)"
    if len(mine) != len(ref):
        return f"boxes: {len(mine)} vs ONNX Runtime's {len(ref)}"
    # Each box against the reference box nearest it: a box whose corners move a pixel may
    # sort before its neighbour, and pairing by order would compare different boxes.
    def apart(p, q):
        return max(abs(a - b) for a, b in zip(p, q))
    worst = max((min(apart(p, q) for q in ref) for p in mine), default=0)
    return (f"boxes: {len(mine)}, " +
            ("identical" if worst == 0 else f"corners at most {worst} px apart"))


class Runner:
    """One model run through ONNX Runtime and through r1c at each precision."""

    def __init__(self, path, sizes, args):
        import onnxruntime as ort
        import r1c
        self.options = ort.SessionOptions()
        self.options.intra_op_num_threads = args.threads
        self.ort = ort.InferenceSession(path, self.options, providers=["CPUExecutionProvider"])
        self.path = path
        self.input = self.ort.get_inputs()[0].name
        dims = dim_sizes(path, sizes)
        self.engines, self.failures = {}, []
        for precision in args.precisions:
            start = time.time()
            stem = os.path.splitext(os.path.basename(path))[0]
            options = {k.replace("-", "_"): v.replace("{model}", stem) for k, v in
                       (o.split("=", 1) for o in args.r1c_option)}
            try:
                self.engines[precision] = r1c.Engine(path, device="host", precision=precision,
                                                     dims=dims, cache_dir=args.cache_dir,
                                                     threads=args.threads, cpu=args.cpu,
                                                     **options)
            except r1c.errors.Error as e:
                # One precision that does not compile yet leaves the others to check.
                message = str(e).strip().splitlines()[0]
                print(f"  {os.path.basename(path)} {precision}: {message}", flush=True)
                self.failures.append(f"{os.path.basename(path)} {precision}: {message}")
                continue
            print(f"  {os.path.basename(path)} {precision}: ready in {time.time() - start:.1f} s"
                  f" ({', '.join(f'{k}={v}' for k, v in dims.items())})", flush=True)

    def reference(self, x):
        return self.ort.run(None, {self.input: x})[0]

    def rounded(self, precision):
        """ONNX Runtime on the model with `precision`'s rounding spelled out, or None
        for a precision that has no such form (int8 depends on r1c's calibration)."""
        import onnx
        import onnxruntime as ort
        from check_precision import FORMATS, spelled_out
        if precision not in FORMATS:
            return None
        model = onnx.load(self.path)
        # Cast to bfloat16 needs opset 13; the converter rewrites what changed on the way.
        version = next(o.version for o in model.opset_import if o.domain in ("", "ai.onnx"))
        if version < 13:
            model = onnx.version_converter.convert_version(model, 13)
        session = ort.InferenceSession(spelled_out(model, precision).SerializeToString(),
                                       self.options, providers=["CPUExecutionProvider"])
        return lambda x: session.run(None, {self.input: x})[0]

    def r1c(self, precision, x):
        return next(iter(self.engines[precision].infer({self.input: x}).values()))


def check_rec(path, args):
    chars = dictionary(path)
    runner = Runner(path, [(1,), (3,), (REC_HEIGHT,), REC_WIDTHS], args)
    inputs = [rec_input(render_line(t)) for t in LINES]
    refs = [runner.reference(x) for x in inputs]
    ref_text = [ctc_greedy(r[0], chars) for r in refs]
    failures = list(runner.failures)
    n = len(LINES)
    ort_right = sum(a == b for a, b in zip(ref_text, LINES))
    print(f"rec: ONNX Runtime fp32 reads {ort_right}/{n} lines as drawn "
          f"({100 * ort_right / n:.1f}%), {same_ink(ref_text)}/{n} but for spaces")
    for precision in runner.engines:
        outs = [runner.r1c(precision, x) for x in inputs]
        text = [ctc_greedy(o[0], chars) for o in outs]
        right = sum(a == b for a, b in zip(text, LINES))
        agree = sum(a == b for a, b in zip(text, ref_text))
        agree_ink = sum(a.replace(" ", "") == b.replace(" ", "") for a, b in zip(text, ref_text))
        worst = max(norm_error(o, r) for o, r in zip(outs, refs))
        print(f"rec {precision}: r1c reads {right}/{n} lines as drawn ({100 * right / n:.1f}%; "
              f"{same_ink(text)}/{n} but for spaces), "
              f"agrees with ONNX Runtime fp32 on {agree}/{n} ({100 * agree / n:.1f}%; "
              f"{agree_ink}/{n} but for spaces); "
              f"worst output norm error {worst:.2e}")
        for drawn, mine, ref in zip(LINES, text, ref_text):
            if mine != ref:
                print(f"    {drawn!r}: r1c {mine!r}, ONNX Runtime {ref!r}")
        if precision == "fp32":
            if agree != n:
                failures.append(f"rec fp32: {n - agree} lines decode differently from ORT")
            if worst > NORM_RTOL:
                failures.append(f"rec fp32: output norm error {worst:.2e} > {NORM_RTOL}")
            continue
        if agree < args.min_agreement * n:
            failures.append(f"rec {precision}: agreement with fp32 {agree}/{n} below "
                            f"{100 * args.min_agreement:.0f}%")
        rounded = runner.rounded(precision)
        if rounded is None:
            continue
        rounded_text = [ctc_greedy(rounded(x)[0], chars) for x in inputs]
        same = sum(a == b for a, b in zip(text, rounded_text))
        alike = sum(a == b for a, b in zip(rounded_text, ref_text))
        print(f"rec {precision}: ONNX Runtime with {precision} rounding spelled out agrees with "
              f"its fp32 on {alike}/{n} lines, with r1c {precision} on {same}/{n}")
        if same < FAITHFUL * n:
            failures.append(f"rec {precision}: r1c reads {same}/{n} lines as ONNX Runtime "
                            f"with {precision} rounding spelled out, below "
                            f"{100 * FAITHFUL:.0f}%")
    for drawn, ref in zip(LINES, ref_text):
        if drawn != ref:
            print(f"    drawn {drawn!r}, ONNX Runtime reads {ref!r}")
    if args.ort_int8:
        report_ort_int8(path, inputs, ref_text, chars, args)
    return failures


def report_ort_int8(path, inputs, ref_text, chars, args):
    """How ONNX Runtime's static int8 of the recognizer reads the lines."""
    import onnxruntime as ort
    sys.path.insert(0, os.path.join(HERE, "..", "..", "bench"))
    from host_peers import Case, PeerFailed
    from ort_int8 import SETTINGS, quantize
    stem = os.path.splitext(os.path.basename(path))[0]
    try:
        with tempfile.TemporaryDirectory() as work:  # Case writes its inputs there
            quantized, _ = quantize(Case(stem, path, {"x": inputs[0]}, work), None,
                                    args.write_calibration)
    except PeerFailed as e:
        print(f"rec ORT int8: {e}")
        return
    session = ort.InferenceSession(quantized, providers=["CPUExecutionProvider"])
    text = [ctc_greedy(session.run(None, {"x": x})[0][0], chars) for x in inputs]
    n = len(LINES)
    agree = sum(a == b for a, b in zip(text, ref_text))
    agree_ink = sum(a.replace(" ", "") == b.replace(" ", "") for a, b in zip(text, ref_text))
    print(f"rec ORT int8 ({SETTINGS['format']}, {SETTINGS['calibration']} on "
          f"{len(CALIBRATION_LINES)} other lines): reads {sum(a == b for a, b in zip(text, LINES))}"
          f"/{n} lines as drawn, agrees with ONNX Runtime fp32 on {agree}/{n} "
          f"({agree_ink}/{n} but for spaces)")
    for mine, ref in zip(text, ref_text):
        if mine != ref:
            print(f"    ORT int8 {mine!r}, ONNX Runtime fp32 {ref!r}")


def check_det(path, args):
    height, width = PAGE
    runner = Runner(path, [(1,), (3,), (height,), (width,)], args)
    x = normalize(render_page())[None]
    ref = runner.reference(x)
    ref_boxes = detect_boxes(ref)
    failures = list(runner.failures)
    for precision in runner.engines:
        out = runner.r1c(precision, x)
        err = norm_error(out, ref)
        print(f"det {precision}: probability map {height}x{width}, output norm error {err:.2e}, "
              f"{boxes_text(detect_boxes(out), ref_boxes)}")
        if precision == "fp32" and err > NORM_RTOL:
            failures.append(f"det fp32: output norm error {err:.2e} > {NORM_RTOL}")
    return failures


def check_cls(path, args):
    runner = Runner(path, [(1,), (3,), (CLS_SHAPE[0],), (CLS_SHAPE[1],)], args)
    inputs = [fit_height(render_line(t), *CLS_SHAPE) for t in LINES]
    refs = [runner.reference(x) for x in inputs]
    failures = list(runner.failures)
    for precision in runner.engines:
        outs = [runner.r1c(precision, x) for x in inputs]
        agree = sum(int(o.argmax()) == int(r.argmax()) for o, r in zip(outs, refs))
        worst = max(norm_error(o, r) for o, r in zip(outs, refs))
        print(f"cls {precision}: orientation as ONNX Runtime's on {agree}/{len(LINES)} lines, "
              f"worst output norm error {worst:.2e}")
        if precision == "fp32" and (agree != len(LINES) or worst > NORM_RTOL):
            failures.append(f"cls fp32: {agree}/{len(LINES)} labels agree, "
                            f"output norm error {worst:.2e}")
    return failures


def write_calibration(folder, models):
    """Each model's inputs for CALIBRATION_LINES (a page of them for the detector) as
    folder/MODEL/test_data_set_N/input_0.pb."""
    from onnx import numpy_helper
    lines = [render_line(t) for t in CALIBRATION_LINES]
    page = render_page(CALIBRATION_LINES[:8])
    sets = {"rec": [rec_input(img) for img in lines],
            "cls": [fit_height(img, *CLS_SHAPE) for img in lines],
            "det": [normalize(page)[None]]}
    for role, inputs in sets.items():
        stem = os.path.splitext(os.path.basename(models[role]))[0]
        for n, x in enumerate(inputs):
            out = os.path.join(folder, stem, f"test_data_set_{n}")
            os.makedirs(out, exist_ok=True)
            with open(os.path.join(out, "input_0.pb"), "wb") as f:
                f.write(numpy_helper.from_array(x, "x").SerializeToString())
    print(f"check_ocr: calibration inputs in {folder} "
          f"({', '.join(f'{r}: {len(v)}' for r, v in sets.items())})")


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--precision", default="fp32,bf16",
                        help="r1c --precision values, comma separated (fp32 is always checked)")
    parser.add_argument("--models-dir", default=os.path.join(tempfile.gettempdir(),
                                                             "r1c-ocr-models"),
                        help="where the package's models are copied (ocr_models.py)")
    parser.add_argument("--cache-dir", help="the r1c compile cache (default: the SDK's)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--cpu", default="native",
                        help="r1c --cpu (default native: the code --cpu=auto would run "
                             "here, compiled for this one level only)")
    parser.add_argument("--min-agreement", type=float, default=0.95,
                        help="share of lines a precision other than fp32 must decode as "
                             "ONNX Runtime fp32 does (docs/precision.md's goal)")
    parser.add_argument("--models", default="rec,det,cls", help="which of rec, det, cls")
    parser.add_argument("--write-calibration", metavar="DIR",
                        help="write calibration inputs as ONNX test data under DIR/MODEL/")
    parser.add_argument("--ort-int8", action="store_true",
                        help="report how ONNX Runtime's own static int8 reads the lines")
    parser.add_argument("--r1c-option", action="append", default=[], metavar="KEY=VALUE",
                        help="an r1c option for every compile ({model}: the model's stem); "
                             "repeatable")
    args = parser.parse_args()
    args.precisions = ["fp32"] + [p for p in args.precision.split(",") if p and p != "fp32"]
    try:
        import PIL  # noqa: F401
        font(12)
        models = ocr_models.cache(args.models_dir)
    except (Skip, ocr_models.Unavailable, ImportError) as e:
        print(f"check_ocr: skipped: {e}")
        return SKIP
    print(f"check_ocr: {', '.join(os.path.basename(p) for p in models.values())}, "
          f"precisions {', '.join(args.precisions)}, {args.threads} threads", flush=True)
    if args.ort_int8 and not args.write_calibration:
        args.write_calibration = os.path.join(args.models_dir, "calibration")
    if args.write_calibration:
        write_calibration(args.write_calibration, models)
    checks = {"rec": check_rec, "det": check_det, "cls": check_cls}
    failures = []
    for role in args.models.split(","):
        failures += checks[role](models[role], args)
    for f in failures:
        print(f"FAIL {f}")
    print("check_ocr: " + ("failed" if failures else "passed"))
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
