// The decision boundary (class-1 probability, class index) or regression surface behind the
// data points, in an SVG: the grid as one smoothed <image>, the points as circles, the people's
// names as <text>. Training points have a white ring, test points a dark one.

import { classColour, css, gridImage, largestMagnitude, signedColour, svgElement } from "./colors.js";

const SIZE = 300; // px, square
const PAD = 22; // room for the axis names

function lighten(rgb, amount) {
  return rgb.map((value) => Math.round(value + (255 - value) * amount));
}

export class BoundaryView {
  constructor(svg) {
    this.svg = svg;
    svg.setAttribute("viewBox", `0 0 ${SIZE + PAD} ${SIZE + PAD}`);
    svg.setAttribute("width", SIZE + PAD);
    svg.setAttribute("height", SIZE + PAD);
    this.image = svgElement("image", { x: PAD, y: 0, width: SIZE, height: SIZE, preserveAspectRatio: "none" });
    this.frame = svgElement("rect", { x: PAD, y: 0, width: SIZE, height: SIZE, class: "plot-frame" });
    this.points = svgElement("g", { class: "points" });
    this.xName = svgElement("text", { x: PAD + SIZE / 2, y: SIZE + PAD - 6, class: "axis-name", "text-anchor": "middle" });
    this.yName = svgElement("text", { x: 0, y: 0, class: "axis-name", "text-anchor": "middle",
      transform: `translate(14 ${SIZE / 2}) rotate(-90)` });
    svg.append(this.image, this.frame, this.points, this.xName, this.yName);
  }

  // The colour of a boundary value and of a point's label, for this problem.
  colouring(state) {
    if (state.problem === "regression") {
      let range = largestMagnitude(state.boundary ?? [], 1e-9);
      for (const point of state.points) range = Math.max(range, Math.abs(point.label));
      return {
        surface: (value) => lighten(signedColour(value / range), 0.3),
        point: (label) => signedColour(label / range),
      };
    }
    if (state.classes > 2) {
      return {
        surface: (value) => lighten(classColour(value), 0.55),
        point: (label) => classColour(label),
      };
    }
    // The surface paler than the points, so that a point on its own side still shows.
    return {
      surface: (probability) => lighten(signedColour(2 * probability - 1), 0.3),
      point: (label) => classColour(label),
    };
  }

  update(state) {
    const [xmin, xmax, ymin, ymax] = state.extent;
    const toX = (x) => PAD + ((x - xmin) / (xmax - xmin || 1)) * SIZE;
    const toY = (y) => ((ymax - y) / (ymax - ymin || 1)) * SIZE;
    const colouring = this.colouring(state);
    if (state.boundary && state.boundary.length) {
      this.image.setAttribute("href", gridImage(state.boundary, colouring.surface));
    }
    // The grid's own numbers, so a test (or a curious reader) can see the boundary change.
    this.svg.dataset.boundarySum = state.boundary
      ? state.boundary.flat().reduce((sum, value) => sum + value, 0).toPrecision(8)
      : "";
    const names = state.feature_names ?? [];
    this.xName.textContent = names[0] ?? "x";
    this.yName.textContent = names[1] ?? "y";

    this.points.replaceChildren();
    state.points.forEach((point, index) => {
      const cx = toX(point.x);
      const cy = toY(point.y);
      const circle = svgElement("circle", {
        cx: cx.toFixed(1), cy: cy.toFixed(1), r: point.name ? 6 : 3.5,
        fill: css(colouring.point(point.label)),
        class: point.split === "test" ? "point test" : "point train",
        "data-point": index,
      });
      const tooltip = svgElement("title");
      tooltip.textContent = `${point.name ? point.name + ": " : ""}(${point.x.toPrecision(3)}, ${point.y.toPrecision(3)}) → ${point.label} [${point.split}]`;
      circle.append(tooltip);
      this.points.append(circle);
      if (point.name) {
        const onRight = cx < PAD + SIZE * 0.72; // near the right edge the name goes on the left
        const label = svgElement("text", {
          x: (onRight ? cx + 9 : cx - 9).toFixed(1), y: (cy + 4).toFixed(1), class: "point-name",
          "text-anchor": onRight ? "start" : "end",
        });
        label.textContent = point.name;
        this.points.append(label);
      }
    });
  }
}
