"""Every OpenCV op: output geometry and colour checked against the input, on a real photo."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from config.contracts import Op
from routing import route
from tasks.edit import opencv_ops as ops
from tasks.edit.opencv_ops import OpError, apply_ops


def luma(img: np.ndarray) -> np.ndarray:
    colour = img[..., :3] if img.ndim == 3 else img
    return (colour if colour.ndim == 2 else cv2.cvtColor(colour, cv2.COLOR_BGR2GRAY)).astype(float)


def hsv_saturation(img: np.ndarray) -> float:
    return float(cv2.cvtColor(img[..., :3], cv2.COLOR_BGR2HSV)[..., 1].mean())


def run(img: np.ndarray, instruction: str) -> np.ndarray:
    plan = route(instruction)
    assert plan.route == "opencv", plan
    return apply_ops(img, plan.ops)


# ------------------------------------------------------------------------------------------------
# geometry


def test_crop_to_square_is_the_centre_of_the_photo(coffee):
    out = run(coffee, "裁剪为1:1")
    assert out.shape == (400, 400, 3)
    assert np.array_equal(out, coffee[:, 100:500])


@pytest.mark.parametrize(
    "instruction, aspect",
    [("crop to 16:9", 16 / 9), ("裁剪成4:3", 4 / 3), ("crop to 9:16", 9 / 16), ("crop to 3:4", 3 / 4)],
)
def test_crop_to_aspect(coffee, instruction, aspect):
    out = run(coffee, instruction)
    h, w = out.shape[:2]
    assert abs(w / h - aspect) < 0.01
    assert w == 600 or h == 400  # the largest window that fits


def test_crop_anchor(coffee):
    out = apply_ops(coffee, [Op("crop", {"aspect": [1, 1], "anchor": "left"})])
    assert np.array_equal(out, coffee[:, :400])
    out = apply_ops(coffee, [Op("crop", {"aspect": [1, 1], "anchor": "right"})])
    assert np.array_equal(out, coffee[:, 200:])
    assert ops.aspect_box(600, 400, (1, 1), "center") == (100, 0, 400, 400)


def test_crop_margins(coffee):
    assert np.array_equal(run(coffee, "裁掉右边150像素"), coffee[:, :450])
    assert np.array_equal(run(coffee, "cut 50px off the top"), coffee[50:])
    out = run(coffee, "crop 10% from each side")
    assert np.array_equal(out, coffee[40:360, 60:540])
    with pytest.raises(OpError, match="leaves nothing"):
        apply_ops(coffee, [Op("crop", {"margins": {"left": 300, "right": 300}, "unit": "px"})])


def test_crop_to_pixel_size_covers_then_resizes(coffee):
    out = run(coffee, "裁成300x300")
    assert out.shape == (300, 300, 3)
    reference = cv2.resize(coffee[:, 100:500], (300, 300), interpolation=cv2.INTER_AREA)
    assert np.abs(out.astype(int) - reference).mean() < 1


def test_trim_removes_a_uniform_border(coffee):
    framed = cv2.copyMakeBorder(coffee, 30, 50, 70, 10, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    out = run(framed, "去掉白边")
    assert out.shape == coffee.shape
    assert np.array_equal(out, coffee)


@pytest.mark.parametrize(
    "instruction, size",
    [
        ("宽度缩放到200像素", (200, 133)),
        ("resize to 300x300", (300, 300)),
        ("放大两倍", (1200, 800)),
        ("最长边缩放到1200", (1200, 800)),
        ("最短边缩放到200", (300, 200)),
        ("缩小一半", (300, 200)),
        ("resize to a height of 100", (150, 100)),
        ("scale down by 25%", (450, 300)),
    ],
)
def test_resize(coffee, instruction, size):
    out = run(coffee, instruction)
    assert (out.shape[1], out.shape[0]) == size
    back = cv2.resize(out, (600, 400), interpolation=cv2.INTER_AREA)
    if size[0] / size[1] == 1.5:  # same aspect: the picture is the same picture
        assert np.abs(back.astype(int) - coffee).mean() < 12


def test_resize_above_the_pixel_limit_fails_clearly(coffee):
    with pytest.raises(OpError, match="above the limit"):
        apply_ops(coffee, [Op("resize", {"scale": 20.0})], max_pixels=10_000_000)


@pytest.mark.parametrize(
    "instruction, k",
    [("旋转90度", -1), ("rotate 90 degrees clockwise", -1), ("逆时针旋转90度", 1), ("旋转180度", 2)],
)
def test_right_angle_rotations_are_exact(coffee, instruction, k):
    assert np.array_equal(run(coffee, instruction), np.rot90(coffee, k=k))


def test_small_angle_rotation_expands_the_canvas_with_white_corners(coffee):
    out = run(coffee, "rotate by 15 degrees")
    h, w = out.shape[:2]
    assert w > 600 and h > 400
    assert out[:3, :3].min() >= 250 and out[-3:, -3:].min() >= 250
    centre = out[h // 2 - 20 : h // 2 + 20, w // 2 - 20 : w // 2 + 20]
    assert np.abs(luma(centre).mean() - luma(coffee[180:220, 280:320]).mean()) < 25


def test_flips(coffee):
    assert np.array_equal(run(coffee, "mirror the image"), coffee[:, ::-1])
    assert np.array_equal(run(coffee, "垂直翻转"), coffee[::-1])


def test_pad_to_square_in_white(coffee):
    out = run(coffee, "扩展画布为正方形，填充白色")
    assert out.shape == (600, 600, 3)
    assert (out[:100] == 255).all() and (out[500:] == 255).all()
    assert np.array_equal(out[100:500], coffee)


def test_pad_margins_and_colours(coffee):
    out = run(coffee, "add a 50px black border")
    assert out.shape == (500, 700, 3)
    assert (out[:50] == 0).all() and np.array_equal(out[50:450, 50:650], coffee)
    red = ops.pad(coffee, {"margins": {"left": 10}, "unit": "px", "colour": [255, 0, 0]})
    assert tuple(red[0, 0]) == (0, 0, 255)  # BGR


def test_pad_to_size_letterboxes(coffee):
    out = run(coffee, "pad to 300x300")
    assert out.shape == (300, 300, 3)
    assert (out[:40] == 255).all() and (out[-40:] == 255).all()


def test_pad_transparent_adds_alpha(coffee):
    out = run(coffee, "pad to square with a transparent background")
    assert out.shape == (600, 600, 4)
    assert (out[:100, :, 3] == 0).all() and (out[100:500, :, 3] == 255).all()


# ------------------------------------------------------------------------------------------------
# colour


def test_brightness(coffee):
    brighter = run(coffee, "brighten by 15%")
    assert brighter.shape == coffee.shape
    assert 1.10 < luma(brighter).mean() / luma(coffee).mean() <= 1.16
    darker = run(coffee, "亮度降低20%")
    assert luma(darker).mean() / luma(coffee).mean() == pytest.approx(0.8, abs=0.01)


def test_contrast(coffee):
    more = run(coffee, "对比度加强")
    less = run(coffee, "lower the contrast")
    assert luma(more).std() > luma(coffee).std() * 1.08
    assert luma(less).std() < luma(coffee).std() * 0.92
    assert abs(luma(less).mean() - luma(coffee).mean()) < 2  # around the mean


def test_saturation(coffee):
    assert hsv_saturation(run(coffee, "色彩更鲜艳一些")) > hsv_saturation(coffee) * 1.04
    assert hsv_saturation(run(coffee, "lower the saturation")) < hsv_saturation(coffee) * 0.95


def test_tone(coffee):
    def red_minus_blue(img):
        return img[..., 2].astype(float).mean() - img[..., 0].astype(float).mean()

    warm, cool = run(coffee, "warm up the colors"), run(coffee, "调成冷色调")
    assert red_minus_blue(warm) > red_minus_blue(coffee) + 10
    assert red_minus_blue(cool) < red_minus_blue(coffee) - 10
    assert luma(warm).mean() == pytest.approx(luma(coffee).mean(), rel=0.05)


def test_grey(coffee):
    out = run(coffee, "去色")
    assert out.ndim == 2 and out.shape == coffee.shape[:2]
    assert np.array_equal(out, cv2.cvtColor(coffee, cv2.COLOR_BGR2GRAY))


def test_sepia_is_grey_with_a_warm_brown_tint_as_strong_as_asked(coffee):
    full, half = run(coffee, "make it sepia"), run(coffee, "sepia tone 50%")
    b, g, r = (full[..., c].astype(float) for c in range(3))
    assert full.shape == coffee.shape and (r >= g).all() and (g >= b).all()  # one brown hue
    assert (r - b).mean() > 20  # warm, not grey
    toward = np.abs(half.astype(float) - coffee) - np.abs(full.astype(float) - coffee)
    assert toward.mean() < 0  # half way is nearer the original than the full tone


def test_sharpen_and_blur_change_detail(coffee):
    def detail(img):
        return cv2.Laplacian(luma(img), cv2.CV_64F).var()

    assert detail(run(coffee, "锐化一下")) > detail(coffee) * 1.2
    assert detail(run(coffee, "blur the image")) < detail(coffee) * 0.5


# ------------------------------------------------------------------------------------------------
# unusual pixel formats


@pytest.fixture
def bgra(coffee) -> np.ndarray:
    alpha = np.zeros(coffee.shape[:2], np.uint8)
    alpha[100:300, 150:450] = 255
    return np.dstack([coffee, alpha])


def test_geometry_moves_alpha_with_the_colour(bgra):
    out = run(bgra, "旋转90度")
    assert out.shape == (600, 400, 4)
    assert np.array_equal(out, np.rot90(bgra, k=-1))


@pytest.mark.parametrize(
    "instruction", ["brighten by 20%", "对比度加强", "降低饱和度", "暖色调", "锐化", "去色"]
)
def test_colour_ops_leave_alpha_alone(bgra, instruction):
    out = run(bgra, instruction)
    assert out.shape == bgra.shape
    assert np.array_equal(out[..., 3], bgra[..., 3])


def test_trim_uses_transparency(bgra):
    out = run(bgra, "trim the whitespace")
    assert out.shape == (200, 300, 4)


def test_sixteen_bit_stays_sixteen_bit(coffee):
    img16 = coffee.astype(np.uint16) * 257
    out = run(img16, "brighten by 10%")
    assert out.dtype == np.uint16
    assert luma(out).mean() / luma(img16).mean() == pytest.approx(1.1, abs=0.01)
    assert run(img16, "裁剪为1:1").dtype == np.uint16
    assert run(img16, "去色").dtype == np.uint16
    padded = run(img16, "扩展画布为正方形，填充白色")
    assert padded.dtype == np.uint16 and padded[0, 0, 0] == 65535


def test_grey_images(coffee):
    grey = cv2.cvtColor(coffee, cv2.COLOR_BGR2GRAY)
    assert run(grey, "brighten by 10%").ndim == 2
    assert run(grey, "降低饱和度").ndim == 2
    warm = run(grey, "暖色调")
    assert warm.ndim == 3 and warm[..., 2].mean() > warm[..., 0].mean()
    assert run(grey, "add a 10px red border").shape == (420, 620, 3)


def test_an_op_runs_only_when_the_picture_meets_its_condition():
    from tasks.edit.opencv_ops import changes_nothing

    img = np.zeros((400, 600, 3), np.uint8)
    shrink = Op("resize", {"width": 500, "when": {"side": "width", "above": 500}})
    assert apply_ops(img, [shrink]).shape[:2] == (333, 500)
    assert apply_ops(img[:, :400], [shrink]).shape[:2] == (400, 400)  # 400 wide: left as it is
    assert changes_nothing(shrink, 400, 400) and not changes_nothing(shrink, 600, 400)
    grow = Op("resize", {"scale": 2, "when": {"side": "longest", "below": 1000}})
    assert apply_ops(img, [grow]).shape[:2] == (800, 1200)
    assert apply_ops(np.zeros((400, 1200, 3), np.uint8), [grow]).shape[:2] == (400, 1200)
