// The page: one session on the server, driven from here. Train calls /api/train again and
// again until Pause (so a closed page stops its training); every request goes through one
// queue, because the server takes one request at a time per session.

import { Api } from "./api.js";
import { BoundaryView } from "./boundary_view.js";
import { Controls } from "./controls.js";
import { currentLanguage, pick, setLanguage, t } from "./i18n.js";
import { LossChart } from "./loss_chart.js";
import { NetworkView } from "./network_view.js";
import { Panel, formatNumber } from "./panel.js";

const PING_EVERY_MS = 10_000;
const TARGET_REQUEST_MS = 60; // batches per /api/train grow while a request takes less than this
const MAX_BATCHES_PER_REQUEST = 50;

const byId = (id) => document.getElementById(id);

class Playground {
  constructor() {
    this.api = new Api();
    this.state = null;
    this.training = false;
    this.batchesPerRequest = 1;
    this.queue = Promise.resolve();
    this.pending = 0; // requests queued or running; body[data-busy] tells tests to wait
    this.controls = new Controls((config) => this.reset(config));
    this.network = new NetworkView(byId("network"), {
      onWeight: (layer, i, j) => this.explainWeight(layer, i, j),
      onNeuron: (layer, j) => this.explainNeuron(layer, j),
    });
    this.boundary = new BoundaryView(byId("boundary"));
    this.chart = new LossChart(byId("loss-chart"));
    this.panel = new Panel(byId("explanation"), { onHighlight: (target) => this.network.highlight(target) });
    this.bindButtons();
  }

  bindButtons() {
    byId("train").addEventListener("click", () => this.startTraining());
    byId("pause").addEventListener("click", () => this.stopTraining());
    byId("step").addEventListener("click", () => {
      this.stopTraining();
      this.run(() => this.api.step());
    });
    byId("reset").addEventListener("click", () => this.reset(this.controls.config()));
    byId("language").addEventListener("click", () => {
      setLanguage(currentLanguage() === "en" ? "zh" : "en");
      this.controls.renderUnits();
      this.placeUnitControls();
      this.panel.render();
      if (this.state) this.render(this.state);
    });
    byId("export").addEventListener("click", () => {
      const menu = byId("export-menu");
      menu.hidden = !menu.hidden;
      byId("export").setAttribute("aria-expanded", String(!menu.hidden));
    });
    for (const link of document.querySelectorAll("#export-menu a")) {
      link.addEventListener("click", () => {
        byId("export-menu").hidden = true;
      });
    }
    byId("code").addEventListener("click", () => this.showCode());
    byId("walkthrough").addEventListener("click", () => this.startWalkthrough());
    byId("csv-file").addEventListener("change", () => this.upload());
    byId("csv-target").addEventListener("change", () => this.upload());
  }

  // Runs `request` after every earlier one; a STATE it returns is drawn, an error is shown
  // (and the promise resolves to undefined).
  run(request) {
    this.pending += 1;
    document.body.dataset.busy = "true";
    this.queue = this.queue.then(async () => {
      const result = await request();
      if (result && result.layers) {
        this.render(result);
        await this.refreshPanel();
      }
      this.showError(null);
      return result;
    }).catch((error) => {
      this.stopTraining();
      this.showError(error);
      return undefined;
    }).finally(() => {
      this.pending -= 1;
      document.body.dataset.busy = String(this.pending > 0);
    });
    return this.queue;
  }

  // The error line: `error`'s message, or else the state's own ("diverged"), or nothing.
  showError(error) {
    const line = byId("error");
    if (!error && this.state && this.state.diverged) {
      error = new Error(this.state.diverged);
    }
    if (!error) {
      line.hidden = true;
      line.textContent = "";
      return;
    }
    line.hidden = false;
    line.textContent = `${t("error_prefix")} ${pick(error.message, error.messageZh)}`;
  }

  async start() {
    setLanguage("en");
    this.panel.render();
    try {
      const { state, csv } = await this.api.createSession(this.controls.config());
      this.render(state);
      this.showError(null);
      if (csv) await this.useStartingTable(csv);
    } catch (error) {
      this.showError(error);
      return;
    }
    byId("export-safetensors").href = this.api.exportUrl("safetensors");
    byId("export-onnx").href = this.api.exportUrl("onnx");
    // Outside the queue: a ping holds no lock on the server, and must not wait behind Train.
    setInterval(() => this.api.ping(), PING_EVERY_MS);
    window.addEventListener("pagehide", () => this.api.close());
    document.body.dataset.busy = String(this.pending > 0);
    document.body.dataset.ready = "true";
  }

  reset(config) {
    this.stopTraining();
    this.panel.clear();
    return this.run(() => this.api.reset(config));
  }

  startTraining() {
    if (this.training) return;
    this.training = true;
    byId("train").disabled = true;
    byId("pause").disabled = false;
    this.panel.clear();
    this.run(() => this.trainLoop());
  }

  stopTraining() {
    this.training = false;
    byId("train").disabled = false;
    byId("pause").disabled = true;
  }

  // Runs inside the queue; requests the page makes meanwhile wait for Pause.
  async trainLoop() {
    while (this.training) {
      const started = performance.now();
      const state = await this.api.train(this.batchesPerRequest);
      const took = performance.now() - started;
      if (took < TARGET_REQUEST_MS) {
        this.batchesPerRequest = Math.min(MAX_BATCHES_PER_REQUEST, this.batchesPerRequest * 2);
      } else if (took > TARGET_REQUEST_MS * 2 && this.batchesPerRequest > 1) {
        this.batchesPerRequest = Math.floor(this.batchesPerRequest / 2);
      }
      this.render(state);
      await new Promise((resolve) => requestAnimationFrame(resolve));
    }
    return null;
  }

  render(state) {
    this.state = state;
    if (state.diverged) {
      this.stopTraining();
      this.showError(null);
    }
    byId("epoch").textContent = String(state.epoch);
    byId("step-count").textContent = String(state.step);
    byId("loss").textContent = formatNumber(state.train_loss);
    byId("test-loss").textContent = formatNumber(state.test_loss);
    const config = state.config ?? this.controls.config(); // as applied, not as being edited
    const plotted = (unit) => {
      if (config.dataset !== "csv") return unit < 2 ? unit : null;
      const index = config.features.indexOf((state.input_names ?? [])[unit]);
      return index >= 0 ? index : null;
    };
    this.network.update(state, plotted);
    this.placeUnitControls();
    this.boundary.update(state);
    this.chart.update(state.history ?? []);
    this.renderDiagnosis(state.diagnosis ?? []);
    this.renderSamples(state.points);
  }

  // Each hidden layer's +/− sits above its column of the drawing.
  placeUnitControls() {
    const centres = this.network.columnCentres();
    byId("unit-controls").querySelectorAll(".unit-control").forEach((control, layer) => {
      const centre = centres[layer + 1];
      control.hidden = centre === undefined;
      if (centre !== undefined) control.style.left = `${centre - 24}px`;
    });
  }

  renderDiagnosis(findings) {
    const list = byId("diagnosis");
    list.replaceChildren();
    const flagged = new Set();
    for (const finding of findings) {
      const item = document.createElement("li");
      item.className = `finding ${finding.severity}`;
      item.append(pick(finding.message, finding.message_zh));
      for (const unit of finding.units ?? []) {
        flagged.add(unit);
        const mark = document.createElement("mark");
        mark.textContent = unit;
        item.append(" ", mark);
      }
      list.append(item);
    }
    if (!findings.length) {
      const item = document.createElement("li");
      item.className = "finding none";
      item.textContent = t("diagnosis_empty");
      list.append(item);
    }
    this.network.flag(flagged);
  }

  // A point's row in the dataset (what the server calls a sample); its position without one.
  static rowOf(point, index) {
    return point.row ?? index;
  }

  sampleName(row) {
    const point = this.state.points.find((candidate, index) => Playground.rowOf(candidate, index) === row);
    if (!point) return `#${row}`;
    return point.name ?? `#${row} (${point.x.toPrecision(3)}, ${point.y.toPrecision(3)})`;
  }

  // The sample choices change only with the data, so a choice survives training.
  renderSamples(points) {
    const select = byId("sample");
    const signature = points.map((point) => `${point.x},${point.y}`).join(";");
    if (signature === this.sampleSignature) return;
    this.sampleSignature = signature;
    const options = points.map((point, index) => {
      const row = Playground.rowOf(point, index);
      return new Option(this.sampleName(row), String(row));
    });
    select.replaceChildren(...options);
  }

  selectedSample() {
    return Number(byId("sample").value || 0);
  }

  explainWeight(layer, i, j) {
    this.stopTraining();
    return this.run(async () => {
      this.panel.showWeight(layer, i, j, await this.api.explainWeight(layer, i, j));
    });
  }

  explainNeuron(layer, j) {
    this.stopTraining();
    if (layer === 0) {
      this.panel.clear();
      this.network.highlight(`neuron:0.${j}`);
      return null;
    }
    const sample = this.selectedSample();
    return this.run(async () => {
      this.panel.showNeuron(layer, j, this.sampleName(sample), await this.api.explainNeuron(layer, j, sample));
    });
  }

  startWalkthrough() {
    this.stopTraining();
    const sample = this.selectedSample();
    return this.run(async () => {
      const { steps } = await this.api.walkthrough(sample);
      this.panel.startWalkthrough(this.sampleName(sample), steps);
    });
  }

  // After a Step or Reset, the panel's weight or neuron is explained again on the new state.
  async refreshPanel() {
    const content = this.panel.content;
    if (!content || this.panel.walking) return;
    if (content.kind === "weight" && content.layer <= this.state.weights.length) {
      const { layer, i, j } = content;
      if (i < this.state.layers[layer - 1] && j < this.state.layers[layer]) {
        this.panel.showWeight(layer, i, j, await this.api.explainWeight(layer, i, j));
        return;
      }
    }
    this.panel.clear();
  }

  async showCode() {
    const code = await this.run(() => this.api.code());
    if (code === undefined) return;
    byId("code-text").textContent = code;
    byId("code-dialog").showModal();
  }

  // `glassnet playground --data FILE --target COLUMN`: the page opens on that table.
  async useStartingTable(csv) {
    byId("dataset").value = "csv";
    byId("csv-target").value = csv.target;
    byId("csv-summary").textContent = `${csv.name ?? "CSV"}: ${csv.rows} ${t("csv_rows")}`;
    this.controls.setCsvColumns(csv.numeric, csv.target);
    this.controls.showDatasetFields();
    await this.reset(this.controls.config());
  }

  upload() {
    const file = byId("csv-file").files[0];
    const target = byId("csv-target").value.trim();
    if (!file || !target) return null;
    this.stopTraining();
    return this.run(async () => {
      const summary = await this.api.upload(file, target);
      byId("csv-summary").textContent = `${file.name}: ${summary.rows} ${t("csv_rows")}`;
      this.controls.setCsvColumns(summary.numeric, target);
      return this.api.reset(this.controls.config());
    });
  }
}

const playground = new Playground();
window.glassnetPlayground = playground; // for the console and the browser tests: .state
playground.start();
