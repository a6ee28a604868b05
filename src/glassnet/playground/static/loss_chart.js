// The training and test loss curves over the history (STATE.history = [[epoch, train, test]]),
// in an SVG; the y axis goes from 0 to the largest loss seen.

import { svgElement } from "./colors.js";

const WIDTH = 322;
const HEIGHT = 110;
const PAD = 4;

function finite(value) {
  return typeof value === "number" && Number.isFinite(value);
}

export class LossChart {
  constructor(svg) {
    this.svg = svg;
    svg.setAttribute("viewBox", `0 0 ${WIDTH} ${HEIGHT}`);
    svg.setAttribute("width", WIDTH);
    svg.setAttribute("height", HEIGHT);
    this.trainLine = svgElement("polyline", { class: "curve train-curve" });
    this.testLine = svgElement("polyline", { class: "curve test-curve" });
    this.top = svgElement("text", { x: WIDTH - PAD, y: 12, class: "chart-scale", "text-anchor": "end" });
    svg.append(svgElement("rect", { x: 0, y: 0, width: WIDTH, height: HEIGHT, class: "plot-frame" }),
      this.testLine, this.trainLine, this.top);
  }

  update(history) {
    let largest = 1e-12;
    for (const [, train, test] of history) {
      if (finite(train)) largest = Math.max(largest, train);
      if (finite(test)) largest = Math.max(largest, test);
    }
    const count = Math.max(1, history.length - 1);
    const toX = (index) => PAD + (index / count) * (WIDTH - 2 * PAD);
    const toY = (loss) => HEIGHT - PAD - (loss / largest) * (HEIGHT - 2 * PAD - 10);
    const points = (column) => history
      .map((entry, index) => (finite(entry[column]) ? `${toX(index).toFixed(1)},${toY(entry[column]).toFixed(1)}` : null))
      .filter((point) => point !== null)
      .join(" ");
    this.trainLine.setAttribute("points", points(1));
    this.testLine.setAttribute("points", points(2));
    this.top.textContent = history.length ? `max ${largest.toPrecision(3)}` : "";
  }
}
