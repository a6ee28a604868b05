"""The playground's page in a real headless Chromium (Debian's chromium, driven by Playwright).

One browser and one server for the module; each test opens its own page. Skipped with the reason
when Playwright or chromium is missing, except in CI (the CI variable set), where that fails.
Screenshots of the main states go to test-artifacts/playground/; with
GLASSNET_README_IMAGES=1 the English and Chinese pictures for the README are written to
docs/images/.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import shutil
import threading
from pathlib import Path
from typing import Any

import numpy as np
import pytest

import glassnet as gn
from glassnet import functional as F

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts" / "playground"
README_IMAGES = ROOT / "docs" / "images"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
MAX_TRAINING_STEPS = 3000  # XOR reaches a test loss below 0.1 in about 750
PAGE_TIMEOUT_MS = 20_000  # a stuck page fails instead of hanging; the bounds above are in steps
PEOPLE = ["Alice", "Bob", "Charlie", "Diana", "Emily", "Frank"]


def missing(reason: str) -> None:
    """Skip for a missing browser, but fail in CI, which installs one."""
    if os.environ.get("CI"):
        pytest.fail(f"{reason} (CI installs it: a missing browser there is a failure)")
    pytest.skip(reason)


def chromium_path() -> str | None:
    return "/usr/bin/chromium" if os.access("/usr/bin/chromium", os.X_OK) else \
        shutil.which("chromium")


@pytest.fixture(scope="module")
def browser() -> Any:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        missing("Playwright is not installed (pip install playwright; the browser is Debian's "
                "chromium, never `playwright install`)")
    executable = chromium_path()
    if executable is None:
        missing("no chromium executable on PATH (apt-get install chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def server_url() -> Any:
    from glassnet.playground.server import make_server

    server = make_server("127.0.0.1", 0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join()


@pytest.fixture
def page(browser: Any, server_url: str) -> Any:
    context = browser.new_context(viewport={"width": 1280, "height": 940}, accept_downloads=True)
    context.set_default_timeout(PAGE_TIMEOUT_MS)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.goto(server_url)
    page.wait_for_selector("body[data-ready='true']")
    yield page
    context.close()
    assert errors == [], f"the page's scripts failed: {errors}"


def settle(page: Any) -> None:
    """Wait until every request the page queued has been answered and drawn."""
    page.wait_for_selector("body[data-busy='false']", state="attached")


def set_field(page: Any, testid: str, value: str) -> None:
    """Type into an input and commit it (the change event), as a user leaving the field does."""
    field = page.get_by_test_id(testid)
    field.fill(value)
    field.dispatch_event("change")
    settle(page)


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def readme_image(page: Any, name: str) -> None:
    if os.environ.get("GLASSNET_README_IMAGES") == "1":
        README_IMAGES.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(README_IMAGES / f"{name}.png"), full_page=True)


def number(page: Any, testid: str) -> float:
    return float(page.get_by_test_id(testid).inner_text())


def train_until_test_loss_below(page: Any, goal: float) -> None:
    page.get_by_role("button", name="Train").click()
    page.wait_for_function(
        "([goal, limit]) => Number(document.querySelector('[data-testid=test-loss]').textContent)"
        " < goal || Number(document.querySelector('[data-testid=step]').textContent) >= limit",
        arg=[goal, MAX_TRAINING_STEPS])
    page.get_by_role("button", name="Pause").click()
    settle(page)


def download(page: Any, testid: str, path: Path) -> Path:
    page.get_by_role("button", name="Export").click()
    with page.expect_download() as info:
        page.get_by_test_id(testid).click()
    info.value.save_as(path)
    return path


def page_state(page: Any) -> dict[str, Any]:
    """The STATE the page drew last (the server's answer, kept by the page's script)."""
    return json.loads(page.evaluate("JSON.stringify(window.glassnetPlayground.state)"))


def linear_layers(model: Any) -> list[Any]:
    return [module for module in model if isinstance(module, gn.nn.Linear)]


def test_xor_trains_below_01_test_loss_and_the_boundary_changes(page: Any) -> None:
    boundary = page.get_by_test_id("boundary")
    set_field(page, "learning-rate", "0.3")
    before_pixels = boundary.screenshot()
    before_sum = boundary.get_attribute("data-boundary-sum")
    screenshot(page, "xor_start")

    train_until_test_loss_below(page, 0.1)

    assert number(page, "test-loss") < 0.1, f"not learned in {MAX_TRAINING_STEPS} steps"
    assert number(page, "loss") < 0.2
    assert number(page, "epoch") >= 1
    assert boundary.screenshot() != before_pixels
    assert boundary.get_attribute("data-boundary-sum") != before_sum
    screenshot(page, "xor_trained")
    readme_image(page, "playground")


def test_weight_explanation_is_gn_explain_and_the_sgd_step_applies_it(page: Any,
                                                                      tmp_path: Path) -> None:
    page.get_by_test_id("optimizer").select_option("sgd")
    settle(page)
    set_field(page, "batch-size", "all")
    set_field(page, "learning-rate", "0.5")
    before = gn.load(download(page, "export-safetensors", tmp_path / "before.safetensors"))
    state = page_state(page)
    assert state["batch_size"] == sum(point["split"] == "train" for point in state["points"])

    weight = page.locator("[data-weight='2.1.0']")  # 3rd Linear: unit 1 -> output
    weight.click()
    explanation = page.get_by_test_id("explanation")
    page.wait_for_selector("[data-testid=explanation][data-gradient]")
    shown = float(explanation.get_attribute("data-gradient"))
    assert "∂L/∂" in explanation.inner_text()
    assert f"{shown:.4g}" in explanation.inner_text()  # at least 4 significant digits
    screenshot(page, "weight_explained")

    # gn.explain in this test, on the exported weights and the batch the page says is next.
    by_row = {point["row"]: point for point in state["points"]}
    batch = [by_row[row] for row in state["next_batch"]]
    inputs = gn.tensor(np.array([[p["x"], p["y"]] for p in batch], dtype=np.float32))
    labels = gn.tensor(np.array([[p["label"]] for p in batch], dtype=np.float32))
    assert state["loss"] == "binary_cross_entropy_with_logits"
    loss = F.binary_cross_entropy_with_logits(before(inputs), labels)
    layers = linear_layers(before)
    expected = gn.explain(loss, layers[2].weight, (0, 1)).value  # Linear is (out, in)
    assert shown == pytest.approx(expected, rel=1e-5, abs=1e-8)

    page.get_by_role("button", name="Step").click()
    settle(page)
    after = gn.load(download(page, "export-safetensors", tmp_path / "after.safetensors"))
    lr = float(explanation.get_attribute("data-learning-rate"))
    assert lr == 0.5
    old = float(layers[2].weight.data[0, 1])
    new = float(linear_layers(after)[2].weight.data[0, 1])
    assert abs(lr * shown) > 1e-4, "the step should move the weight measurably"
    assert new == pytest.approx(old - lr * shown, rel=1e-6, abs=1e-7)
    # Every weight moved by −lr·g, with g from autograd on the same batch.
    loss.backward()
    for old_layer, new_layer in zip(layers, linear_layers(after), strict=True):
        np.testing.assert_allclose(new_layer.weight.data,
                                   old_layer.weight.data - lr * old_layer.weight.grad,
                                   rtol=1e-5, atol=1e-6)
    # The panel now explains the same weight on the next batch.
    assert float(explanation.get_attribute("data-weight-value")) == pytest.approx(new, abs=1e-7)

    onnxruntime = pytest.importorskip("onnxruntime")
    onnx_file = download(page, "export-onnx", tmp_path / "after.onnx")
    runner = onnxruntime.InferenceSession(str(onnx_file), providers=["CPUExecutionProvider"])
    (predicted,) = runner.run(None, {runner.get_inputs()[0].name: inputs.numpy()})
    np.testing.assert_allclose(predicted, after(inputs).numpy(), rtol=1e-5, atol=1e-6)


def test_chinese_labels_then_english_again(page: Any) -> None:
    set_field(page, "learning-rate", "0.3")
    train_until_test_loss_below(page, 0.1)  # a trained picture for the README
    language = page.get_by_test_id("language")
    assert language.inner_text() == "中文"
    language.click()
    for name in ["训练", "暂停", "单步", "重置", "导出"]:
        assert page.get_by_role("button", name=name).count() == 1
    assert page.get_by_role("button", name="Train").count() == 0
    assert page.evaluate("document.documentElement.lang") == "zh-CN"
    assert "训练损失" in page.inner_text("body")
    page.locator("[data-weight='0.0.0']").click()
    page.wait_for_selector("[data-testid=explanation][data-gradient]")
    chain = page.get_by_test_id("explanation").inner_text()
    assert "链式法则" in chain and "个样本 n 求和" in chain  # gn.explain's chain, in Chinese
    assert "Σ over" not in chain and "backward hands" not in chain
    screenshot(page, "chinese")
    readme_image(page, "playground_zh")
    language.click()
    assert page.get_by_role("button", name="Train").count() == 1
    assert language.inner_text() == "中文"


def test_people_are_named_and_alices_walkthrough_shows_the_demos_gradient(page: Any) -> None:
    page.get_by_test_id("dataset").select_option("people")
    settle(page)
    boundary_text = page.get_by_test_id("boundary").text_content()
    for name in PEOPLE:
        assert name in boundary_text
    page.get_by_test_id("sample").select_option(label="Alice")
    page.get_by_role("button", name="One sample").click()
    settle(page)
    explanation = page.get_by_test_id("explanation")
    next_step = page.get_by_role("button", name="Next step")
    steps = 0
    while "∂L/∂w1 =" not in explanation.inner_text() and next_step.is_enabled():
        next_step.click()
        steps += 1
    text = explanation.inner_text()
    assert "∂L/∂w1 = ∂L/∂y_pred · ∂y_pred/∂h1 · ∂h1/∂w1 = (-1.451) · (-0.1067) · (-0.3587) = " \
           "-0.05552" in text
    assert page.locator("[data-weight='0.0.0'].highlight").count() == 1  # w1 on the picture
    assert steps >= 5  # forward through three neurons and the loss came first
    screenshot(page, "people_walkthrough")


def cli_error(path: Path, target: str) -> str:
    """The one line `glassnet train` prints for a file it refuses, without its prefix."""
    from glassnet.cli import main

    stderr = io.StringIO()
    with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(io.StringIO()):
        status = main(["train", str(path), "--target", target, "--out", str(path) + ".out"])
    assert status == 2
    line = stderr.getvalue().strip().splitlines()[-1]
    return line.removeprefix("glassnet train: error: ")


def test_csv_upload_trains_on_the_file_and_a_refused_one_shows_the_clis_error(
        page: Any, tmp_path: Path) -> None:
    rows = np.random.default_rng(0).normal(size=(40, 3))
    good = "height,weight,age,label\n" + "".join(
        f"{a:.3f},{b:.3f},{c:.3f},{int(a + b > 0)}\n" for a, b, c in rows)
    page.get_by_test_id("dataset").select_option("csv")
    page.get_by_test_id("csv-target").fill("label")
    page.get_by_test_id("csv-file").set_input_files(
        files=[{"name": "good.csv", "mimeType": "text/csv", "buffer": good.encode()}])
    settle(page)
    assert page.get_by_test_id("error").is_hidden()
    assert "40" in page.get_by_test_id("csv-summary").inner_text()
    options = page.get_by_test_id("feature-x").locator("option").all_inner_texts()
    assert options == ["height", "weight", "age"]
    assert page.locator("[data-neuron^='0.']").count() == 3  # the network sees every feature
    screenshot(page, "csv_uploaded")

    bad = tmp_path / "ragged.csv"
    bad.write_text("a,b,y\n1,2\n3,4,1\n5,6,0\n")
    expected = cli_error(bad, "y")
    detail = re.sub(r"^.*?ragged\.csv", "", expected)  # the CLI names the path, the page the file
    assert detail.startswith(", line 2")
    page.get_by_test_id("csv-target").fill("y")
    page.get_by_test_id("csv-file").set_input_files(str(bad))
    settle(page)
    error = page.get_by_test_id("error")
    assert error.is_visible()
    assert detail in error.inner_text()
    assert "\n" not in error.inner_text().strip()
    screenshot(page, "csv_refused")
