// The configuration the controls describe (the contract's `config`), and the hidden-layer
// editor: add/remove layers (0..6) and units (1..8 per layer).

import { t } from "./i18n.js";

export const MAX_LAYERS = 6;
export const MAX_UNITS = 8;

// The tutorial's network for its people: 2-2-1 sigmoid, per-sample SGD at 0.1, seed 0.
const PEOPLE_SETTINGS = { hidden: [2], activation: "sigmoid", optimizer: "sgd", learning_rate: "0.1", batch_size: "1", seed: "0" };

const byId = (id) => document.getElementById(id);

function number(id) {
  const text = byId(id).value.trim();
  return text === "" ? null : Number(text);
}

// "all" and "0" both mean the whole training set; anything else is sent as typed, for the
// server to accept or refuse with its one-line error.
function batchSize() {
  const text = byId("batch-size").value.trim().toLowerCase();
  if (text === "all") return "all";
  return /^\d+$/.test(text) ? Number(text) : text;
}

export class Controls {
  constructor(onChange) {
    this.onChange = onChange;
    this.hidden = [4, 2];
    this.csvFeatures = null;
    byId("add-layer").addEventListener("click", () => this.changeLayers(1));
    byId("remove-layer").addEventListener("click", () => this.changeLayers(-1));
    for (const id of ["activation", "optimizer", "regularization", "classes", "seed", "noise",
      "test-ratio", "learning-rate", "batch-size", "regularization-rate", "feature-x", "feature-y"]) {
      byId(id).addEventListener("change", () => this.changed());
    }
    byId("dataset").addEventListener("change", () => this.datasetChanged());
    for (const id of ["noise", "test-ratio"]) {
      byId(id).addEventListener("input", () => this.showSliderValues());
    }
    this.showSliderValues();
    this.renderUnits();
    this.showDatasetFields();
  }

  changed() {
    this.onChange(this.config());
  }

  datasetChanged() {
    if (byId("dataset").value === "people") this.apply(PEOPLE_SETTINGS);
    this.showDatasetFields();
    // A CSV becomes a dataset only once it is uploaded; until then the old data stays.
    if (byId("dataset").value !== "csv" || this.csvFeatures) this.changed();
  }

  apply(settings) {
    this.hidden = [...settings.hidden];
    byId("activation").value = settings.activation;
    byId("optimizer").value = settings.optimizer;
    byId("learning-rate").value = settings.learning_rate;
    byId("batch-size").value = settings.batch_size;
    byId("seed").value = settings.seed;
    this.renderUnits();
  }

  showDatasetFields() {
    const dataset = byId("dataset").value;
    byId("classes-field").hidden = dataset !== "blobs";
    // The people are the tutorial's own six; a CSV has no noise to add.
    byId("noise-field").hidden = dataset === "people" || dataset === "csv";
    byId("test-ratio-field").hidden = dataset === "people";
    byId("csv-fields").hidden = dataset !== "csv";
    byId("boundary-caption").dataset.i18n = dataset === "regression" ? "surface_label" : "boundary_label";
    byId("boundary-caption").textContent = t(byId("boundary-caption").dataset.i18n);
  }

  showSliderValues() {
    byId("noise-value").textContent = byId("noise").value;
    byId("test-ratio-value").textContent = `${Math.round(Number(byId("test-ratio").value) * 100)}%`;
  }

  changeLayers(delta) {
    if (delta > 0 && this.hidden.length < MAX_LAYERS) this.hidden.push(2);
    if (delta < 0 && this.hidden.length > 0) this.hidden.pop();
    this.renderUnits();
    this.changed();
  }

  changeUnits(layer, delta) {
    const units = this.hidden[layer] + delta;
    if (units < 1 || units > MAX_UNITS) return;
    this.hidden[layer] = units;
    this.renderUnits();
    this.changed();
  }

  renderUnits() {
    const container = byId("unit-controls");
    container.replaceChildren();
    byId("layer-count").textContent = `${this.hidden.length} ${t("hidden_layers")}`;
    byId("add-layer").disabled = this.hidden.length >= MAX_LAYERS;
    byId("remove-layer").disabled = this.hidden.length === 0;
    this.hidden.forEach((units, layer) => {
      const group = document.createElement("div");
      group.className = "unit-control";
      const add = document.createElement("button");
      add.type = "button";
      add.className = "round small";
      add.textContent = "+";
      add.dataset.i18nTitle = "add_unit";
      add.title = add.ariaLabel = `${t("add_unit")} (${layer + 1})`;
      add.disabled = units >= MAX_UNITS;
      add.addEventListener("click", () => this.changeUnits(layer, 1));
      const remove = document.createElement("button");
      remove.type = "button";
      remove.className = "round small";
      remove.textContent = "−";
      remove.title = remove.ariaLabel = `${t("remove_unit")} (${layer + 1})`;
      remove.disabled = units <= 1;
      remove.addEventListener("click", () => this.changeUnits(layer, -1));
      const count = document.createElement("span");
      count.textContent = String(units);
      group.append(add, remove, count);
      container.append(group);
    });
  }

  // After an upload: the numeric columns (without the target) become the plotted-feature choices.
  setCsvColumns(numeric, target) {
    const choices = numeric.filter((name) => name !== target);
    for (const [id, preferred] of [["feature-x", 0], ["feature-y", 1]]) {
      const select = byId(id);
      select.replaceChildren(...choices.map((name) => new Option(name, name)));
      select.value = choices[Math.min(preferred, choices.length - 1)] ?? "";
    }
    byId("csv-features").hidden = false;
    this.csvFeatures = choices;
  }

  config() {
    const dataset = byId("dataset").value;
    const config = {
      dataset,
      classes: number("classes"),
      noise: number("noise"),
      test_ratio: number("test-ratio"),
      seed: number("seed"),
      hidden: [...this.hidden],
      activation: byId("activation").value,
      learning_rate: number("learning-rate"),
      optimizer: byId("optimizer").value,
      batch_size: batchSize(),
      regularization: byId("regularization").value,
      regularization_rate: number("regularization-rate"),
    };
    if (dataset === "csv") config.features = [byId("feature-x").value, byId("feature-y").value];
    return config;
  }
}
