// Colours shared by the network, the boundary and the chart: orange for negative (or class 0),
// blue for positive (or class 1), white in between, as TensorFlow Playground draws them.

export const NEGATIVE = [245, 147, 34];
export const POSITIVE = [8, 119, 189];
const MIDDLE = [232, 234, 235];
export const CLASS_COLOURS = [NEGATIVE, POSITIVE, [76, 160, 80], [156, 82, 170]];

function mix(from, to, amount) {
  return from.map((value, k) => Math.round(value + (to[k] - value) * amount));
}

// A value in [-1, 1] as a colour: orange at -1, white at 0, blue at 1.
export function signedColour(value) {
  const clipped = Math.max(-1, Math.min(1, value));
  return clipped < 0 ? mix(MIDDLE, NEGATIVE, -clipped) : mix(MIDDLE, POSITIVE, clipped);
}

export function css(rgb, alpha = 1) {
  return `rgba(${rgb[0]}, ${rgb[1]}, ${rgb[2]}, ${alpha})`;
}

export function classColour(label) {
  return CLASS_COLOURS[Math.max(0, Math.round(label)) % CLASS_COLOURS.length];
}

// A grid of values (rows top to bottom) as a PNG data URL, one pixel per value; `colourOf`
// maps a value to [r, g, b]. The browser smooths it when the <image> is scaled up.
export function gridImage(grid, colourOf) {
  const rows = grid.length;
  const columns = rows ? grid[0].length : 0;
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, columns);
  canvas.height = Math.max(1, rows);
  const context = canvas.getContext("2d");
  const image = context.createImageData(canvas.width, canvas.height);
  for (let r = 0; r < rows; r += 1) {
    for (let c = 0; c < columns; c += 1) {
      const [red, green, blue] = colourOf(grid[r][c]);
      const offset = 4 * (r * columns + c);
      image.data[offset] = red;
      image.data[offset + 1] = green;
      image.data[offset + 2] = blue;
      image.data[offset + 3] = 255;
    }
  }
  context.putImageData(image, 0, 0);
  return canvas.toDataURL("image/png");
}

// The largest |value| of a grid, at least `floor` so a flat grid is not blown up to full colour.
export function largestMagnitude(grid, floor = 1e-9) {
  let largest = floor;
  for (const row of grid) {
    for (const value of row) {
      largest = Math.max(largest, Math.abs(value));
    }
  }
  return largest;
}

export function svgElement(name, attributes = {}) {
  const element = document.createElementNS("http://www.w3.org/2000/svg", name);
  for (const [key, value] of Object.entries(attributes)) {
    element.setAttribute(key, value);
  }
  return element;
}
