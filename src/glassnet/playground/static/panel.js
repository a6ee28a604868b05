// The explanation panel (data-testid="explanation"): a weight's gradient as the chain rule with
// numbers and the update the next Step applies; a neuron's forward computation for one sample;
// and the one-sample walkthrough, forward → loss → backward, one step at a time.

import { pick, t } from "./i18n.js";

// Six significant digits, without trailing zeros: enough to check a gradient by eye.
export function formatNumber(value) {
  if (value === null || value === undefined) return "–";
  if (typeof value !== "number" || !Number.isFinite(value)) return String(value);
  if (value === 0) return "0";
  return String(Number(value.toPrecision(6)));
}

function element(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// "a·b" with a negative b in parentheses, so the signs read unambiguously.
function product(a, b) {
  const right = b < 0 ? `(${formatNumber(b)})` : formatNumber(b);
  return `${formatNumber(a)}·${right}`;
}

const ACTIVATIONS = { relu: "ReLU", tanh: "tanh", sigmoid: "σ", linear: "identity", none: "identity" };

export class Panel {
  constructor(container, { onHighlight }) {
    this.container = container;
    this.body = container.querySelector("[data-panel-body]");
    this.onHighlight = onHighlight;
    this.content = null;
    this.walk = null;
  }

  clear() {
    this.content = null;
    this.walk = null;
    this.render();
  }

  showWeight(layer, i, j, explained) {
    this.walk = null;
    this.content = { kind: "weight", layer, i, j, explained };
    this.render();
    this.onHighlight(`weight:${layer}.${i}.${j}`);
  }

  showNeuron(layer, j, sampleName, explained) {
    this.walk = null;
    this.content = { kind: "neuron", layer, j, sampleName, explained };
    this.render();
    this.onHighlight(`neuron:${layer}.${j}`);
  }

  startWalkthrough(sampleName, steps) {
    this.content = null;
    this.walk = { sampleName, steps, current: 0 };
    this.render();
  }

  moveWalkthrough(delta) {
    if (!this.walk) return;
    const last = this.walk.steps.length - 1;
    this.walk.current = Math.max(0, Math.min(last, this.walk.current + delta));
    this.render();
  }

  get walking() {
    return this.walk !== null;
  }

  render() {
    const dataset = this.container.dataset;
    for (const key of ["gradient", "weightValue", "nextWeight", "learningRate", "walkStep"]) {
      delete dataset[key];
    }
    this.body.replaceChildren();
    if (this.walk) {
      this.renderWalkthrough();
    } else if (this.content && this.content.kind === "weight") {
      this.renderWeight(this.content);
    } else if (this.content && this.content.kind === "neuron") {
      this.renderNeuron(this.content);
    } else {
      this.body.append(element("p", "hint", t("explain_hint")));
      this.onHighlight(null);
    }
  }

  renderWeight({ layer, i, j, explained }) {
    const name = `w(${layer - 1}.${i}→${layer}.${j})`;
    const g = explained.gradient;
    const lr = explained.learning_rate;
    Object.assign(this.container.dataset, {
      gradient: String(g), weightValue: String(explained.weight),
      nextWeight: String(explained.next_weight), learningRate: String(lr),
    });
    this.body.append(element("h3", null, `${t("weight_heading")} ${name} = ${formatNumber(explained.weight)}`));
    const rows = explained.batch ? explained.batch.length : 0;
    this.body.append(element("p", "note", `${t("batch_rows")}: ${rows} ${t("rows")}`));
    this.body.append(element("p", "result", `∂L/∂w = ${formatNumber(g)}`));
    const sgd = Math.abs(explained.weight - lr * g - explained.next_weight) <= 1e-6 * (1 + Math.abs(explained.weight));
    const update = sgd
      ? `w ← w − lr·∂L/∂w = ${formatNumber(explained.weight)} − ${product(lr, g)} = ${formatNumber(explained.next_weight)}`
      : `w ← ${formatNumber(explained.next_weight)}`;
    this.body.append(element("p", "note", sgd ? t("update") : t("update_other")));
    this.body.append(element("p", "result update", update));
    this.body.append(element("pre", "chain", pick(explained.text, explained.text_zh)));
  }

  renderNeuron({ layer, j, sampleName, explained }) {
    const terms = explained.terms ?? [];
    const sum = terms.map((term) => product(term.w, term.x)).join(" + ");
    const f = ACTIVATIONS[explained.activation] ?? explained.activation;
    this.body.append(element("h3", null, `${t("neuron_heading")} ${layer}.${j} — ${t("sample")}: ${sampleName}`));
    const bias = explained.bias < 0 ? `(${formatNumber(explained.bias)})` : formatNumber(explained.bias);
    this.body.append(element("p", "result", `Σ wᵢxᵢ + b = ${sum} + ${bias} = ${formatNumber(explained.z)}`));
    this.body.append(element("p", "result", `h = ${f}(z) = ${f}(${formatNumber(explained.z)}) = ${formatNumber(explained.h)}`));
    if (explained.text) this.body.append(element("pre", "chain", pick(explained.text, explained.text_zh)));
  }

  renderWalkthrough() {
    const { sampleName, steps, current } = this.walk;
    this.container.dataset.walkStep = String(current);
    this.body.append(element("h3", null, `${t("walkthrough")}: ${sampleName} (${current + 1}/${steps.length})`));
    const list = element("ol", "walk");
    steps.slice(0, current + 1).forEach((step, index) => {
      const item = element("li", index === current ? "current" : null);
      const kind = t(`walk_${step.kind}`);
      const text = pick(step.text, step.text_zh);
      item.append(element("span", `kind ${step.kind}`, kind));
      // The Chinese texts name their kind already ("前向:…").
      item.append(element("span", "walk-text", text.startsWith(kind) ? text.slice(kind.length).replace(/^[:：]\s*/, "") : text));
      list.append(item);
    });
    this.body.append(list);
    const buttons = element("div", "walk-buttons");
    const previous = element("button", null, t("walk_previous"));
    previous.type = "button";
    previous.disabled = current === 0;
    previous.addEventListener("click", () => this.moveWalkthrough(-1));
    const next = element("button", "primary", t("walk_next"));
    next.type = "button";
    next.disabled = current === steps.length - 1;
    next.addEventListener("click", () => this.moveWalkthrough(1));
    const stop = element("button", null, t("walk_stop"));
    stop.type = "button";
    stop.addEventListener("click", () => this.clear());
    buttons.append(previous, next, stop);
    this.body.append(buttons);
    list.lastElementChild?.scrollIntoView({ block: "nearest" });
    this.onHighlight(steps[current] ? steps[current].highlight : null);
  }
}
