// The network as SVG: each neuron a small heatmap of its output over the plotted plane
// (data-neuron="L.j", L = 0 for the inputs), each weight a curve whose width is |w| and whose
// colour is its sign (data-weight="L.i.j": weight layer L counted from 0, from unit i of the
// neuron layer L to unit j of neuron layer L + 1; STATE.weights[L][i][j] holds it). Inside the
// page, as on the server, a weight is named by the neuron layer it feeds: "weight:L+1.i.j".

import { NEGATIVE, POSITIVE, css, gridImage, largestMagnitude, signedColour, svgElement } from "./colors.js";

const UNIT = 34; // side of a neuron's heatmap, px
const ROW = 52; // vertical distance between neurons
const MARGIN_LEFT = 64; // room for the input features' names
const MARGIN = 16;
const INPUT_GRID = 16;

function unitCentre(layout, layer, unit) {
  const count = layout.sizes[layer];
  const top = (layout.height - (count - 1) * ROW) / 2;
  return { x: layout.columns[layer], y: top + unit * ROW };
}

// d of a curve from the right edge of one neuron to the left edge of the next; point-symmetric
// about its middle, so the middle of its bounding box lies on the curve (a click lands on it).
function curve(from, to) {
  const x1 = from.x + UNIT / 2;
  const x2 = to.x - UNIT / 2;
  const middle = (x1 + x2) / 2;
  return `M ${x1} ${from.y} C ${middle} ${from.y}, ${middle} ${to.y}, ${x2} ${to.y}`;
}

// An input unit's heatmap: the plotted feature itself over the plane, scaled to [-1, 1].
function inputGrid(extent, axis) {
  const [xmin, xmax, ymin, ymax] = extent;
  const grid = [];
  for (let r = 0; r < INPUT_GRID; r += 1) {
    const row = [];
    for (let c = 0; c < INPUT_GRID; c += 1) {
      const x = xmin + ((c + 0.5) * (xmax - xmin)) / INPUT_GRID;
      const y = ymax - ((r + 0.5) * (ymax - ymin)) / INPUT_GRID;
      const value = axis === 0 ? x : y;
      const low = axis === 0 ? xmin : ymin;
      const high = axis === 0 ? xmax : ymax;
      row.push(high > low ? (2 * (value - low)) / (high - low) - 1 : 0);
    }
    grid.push(row);
  }
  return grid;
}

export class NetworkView {
  constructor(svg, { onWeight, onNeuron }) {
    this.svg = svg;
    this.onWeight = onWeight;
    this.onNeuron = onNeuron;
    this.signature = "";
    this.weightElements = new Map();
    this.neuronElements = new Map();
  }

  build(sizes, inputNames) {
    this.svg.replaceChildren();
    this.weightElements.clear();
    this.neuronElements.clear();
    const tallest = Math.max(...sizes);
    const height = Math.max(3, tallest) * ROW + MARGIN;
    const width = Math.max(420, MARGIN_LEFT + MARGIN + (sizes.length - 1) * 110 + UNIT);
    const step = (width - MARGIN_LEFT - MARGIN - UNIT) / Math.max(1, sizes.length - 1);
    const columns = sizes.map((_, layer) => MARGIN_LEFT + UNIT / 2 + layer * step);
    this.layout = { sizes, height, columns };
    this.svg.setAttribute("viewBox", `0 0 ${width} ${height}`);
    this.svg.setAttribute("width", width);
    this.svg.setAttribute("height", height);

    const weightLayer = svgElement("g", { class: "weights" });
    const neuronLayer = svgElement("g", { class: "neurons" });
    this.svg.append(weightLayer, neuronLayer);
    for (let layer = 0; layer + 1 < sizes.length; layer += 1) {
      for (let i = 0; i < sizes[layer]; i += 1) {
        for (let j = 0; j < sizes[layer + 1]; j += 1) {
          const d = curve(unitCentre(this.layout, layer, i), unitCentre(this.layout, layer + 1, j));
          const key = `${layer + 1}.${i}.${j}`;
          const group = svgElement("g", { class: "weight", "data-weight": `${layer}.${i}.${j}`, tabindex: "0", role: "button" });
          const hit = svgElement("path", { d, class: "weight-hit" });
          const line = svgElement("path", { d, class: "weight-line" });
          const tooltip = svgElement("title");
          group.append(tooltip, hit, line);
          group.addEventListener("click", () => this.onWeight(layer + 1, i, j));
          group.addEventListener("keydown", (event) => {
            if (event.key === "Enter" || event.key === " ") this.onWeight(layer + 1, i, j);
          });
          weightLayer.append(group);
          this.weightElements.set(key, { group, line, tooltip });
        }
      }
    }
    for (let layer = 0; layer < sizes.length; layer += 1) {
      for (let j = 0; j < sizes[layer]; j += 1) {
        const centre = unitCentre(this.layout, layer, j);
        const key = `${layer}.${j}`;
        const group = svgElement("g", { class: "neuron", "data-neuron": key, tabindex: "0", role: "button" });
        const box = { x: centre.x - UNIT / 2, y: centre.y - UNIT / 2, width: UNIT, height: UNIT };
        const image = svgElement("image", { ...box, preserveAspectRatio: "none" });
        const frame = svgElement("rect", { ...box, class: "neuron-frame", rx: 3 });
        const tooltip = svgElement("title");
        group.append(tooltip, image, frame);
        if (layer === 0) {
          const label = svgElement("text", { x: box.x - 6, y: centre.y + 4, class: "input-name", "text-anchor": "end" });
          label.textContent = inputNames[j] ?? `x${j + 1}`;
          group.append(label);
        }
        group.addEventListener("click", () => this.onNeuron(layer, j));
        group.addEventListener("keydown", (event) => {
          if (event.key === "Enter" || event.key === " ") this.onNeuron(layer, j);
        });
        neuronLayer.append(group);
        this.neuronElements.set(key, { group, image, tooltip });
      }
    }
  }

  // Redraw from a STATE; the SVG is rebuilt only when the shape of the network changes, so
  // highlights and focus survive training.
  update(state, plotted) {
    const inputNames = state.input_names ?? state.feature_names ?? [];
    const signature = `${state.layers.join("-")}|${inputNames.join(",")}`;
    if (signature !== this.signature) {
      this.build(state.layers, inputNames);
      this.signature = signature;
    }
    let largest = 1e-9;
    for (const matrix of state.weights) {
      for (const row of matrix) {
        for (const w of row) largest = Math.max(largest, Math.abs(w));
      }
    }
    // Width ∝ |w|, scaled so the largest weight is at most 7 px wide.
    const scale = Math.min(3, 7 / largest);
    state.weights.forEach((matrix, below) => {
      matrix.forEach((row, i) => {
        row.forEach((w, j) => {
          const element = this.weightElements.get(`${below + 1}.${i}.${j}`);
          if (!element) return;
          element.line.setAttribute("stroke", css(w >= 0 ? POSITIVE : NEGATIVE));
          element.line.setAttribute("stroke-width", Math.max(0.4, Math.abs(w) * scale).toFixed(2));
          element.tooltip.textContent = `w(${below}.${i}→${below + 1}.${j}) = ${w.toPrecision(4)}`;
          element.group.setAttribute("aria-label", element.tooltip.textContent);
        });
      });
    });
    for (const [key, element] of this.neuronElements) {
      const [layer, unit] = key.split(".").map(Number);
      let grid = state.neurons ? state.neurons[key] : undefined;
      if (!grid && layer === 0) {
        const axis = plotted(unit);
        grid = axis === null ? undefined : inputGrid(state.extent, axis);
      }
      if (grid) {
        const range = largestMagnitude(grid, 1);
        element.image.setAttribute("href", gridImage(grid, (value) => signedColour(value / range)));
      } else {
        element.image.removeAttribute("href");
      }
      const bias = layer > 0 && state.biases[layer - 1] ? state.biases[layer - 1][unit] : undefined;
      element.tooltip.textContent = bias === undefined ? `${key}` : `${key}: b = ${bias.toPrecision(4)}`;
      element.group.setAttribute("aria-label", element.tooltip.textContent);
    }
  }

  // The x of each layer's column, in CSS px from the SVG's left edge.
  columnCentres() {
    return this.layout ? this.layout.columns : [];
  }

  // "neuron:L.j" | "weight:L.i.j" | "loss" | null: the one element the panel is talking about.
  highlight(target) {
    for (const element of this.svg.querySelectorAll(".highlight")) {
      element.classList.remove("highlight");
    }
    if (!target) return;
    const [kind, key] = target.split(":");
    const found = kind === "neuron" ? this.neuronElements.get(key) : this.weightElements.get(key);
    if (found) found.group.classList.add("highlight");
  }

  // Units a diagnosis names ("L.j"), outlined in red.
  flag(units) {
    for (const [key, element] of this.neuronElements) {
      element.group.classList.toggle("flagged", units.has(key));
    }
  }
}
