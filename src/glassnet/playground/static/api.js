// The server's JSON API (see the playground's HTTP contract). Every call returns the parsed
// body or throws an ApiError whose message is the server's one-line error.

export class ApiError extends Error {
  constructor(message, messageZh, status) {
    super(message);
    this.messageZh = messageZh;
    this.status = status;
  }
}

async function parse(response) {
  let body = null;
  try {
    body = await response.json();
  } catch {
    body = null;
  }
  if (!response.ok) {
    const message = body && body.error ? body.error : `HTTP ${response.status} ${response.statusText}`;
    throw new ApiError(message, body ? body.error_zh : undefined, response.status);
  }
  return body;
}

async function post(path, payload) {
  const response = await fetch(path, {
    method: "POST",
    headers: { "Content-Type": "application/json" },
    body: JSON.stringify(payload),
  });
  return parse(response);
}

export class Api {
  constructor() {
    this.id = null;
  }

  // {state, csv}: csv is the table the server was started with (--data), or null.
  async createSession(config) {
    const body = await post("/api/session", { config });
    this.id = body.id;
    document.body.dataset.session = body.id;
    return body;
  }

  async reset(config) {
    return (await post("/api/reset", { id: this.id, config })).state;
  }

  async train(batches) {
    return (await post("/api/train", { id: this.id, batches })).state;
  }

  async step() {
    return (await post("/api/step", { id: this.id })).state;
  }

  explainWeight(layer, i, j) {
    return post("/api/explain/weight", { id: this.id, layer, i, j });
  }

  explainNeuron(layer, j, sample) {
    return post("/api/explain/neuron", { id: this.id, layer, j, sample });
  }

  walkthrough(sample) {
    return post("/api/walkthrough", { id: this.id, sample });
  }

  async upload(file, target) {
    const headers = { "Content-Type": "text/csv", "X-Target": target };
    // So the server's message names the file; a header carries printable ASCII only.
    if (/^[\x20-\x7e]+$/.test(file.name)) headers["X-Filename"] = file.name;
    const response = await fetch(`/api/upload?id=${encodeURIComponent(this.id)}`, {
      method: "POST",
      headers,
      body: file,
    });
    return parse(response);
  }

  async code() {
    const response = await fetch(`/api/code?id=${encodeURIComponent(this.id)}`);
    return (await parse(response)).code;
  }

  exportUrl(format) {
    return `/api/export?id=${encodeURIComponent(this.id)}&format=${format}`;
  }

  ping() {
    return post("/api/ping", { id: this.id }).catch(() => null);
  }

  close() {
    if (this.id) {
      const blob = new Blob([JSON.stringify({ id: this.id })], { type: "application/json" });
      navigator.sendBeacon("/api/close", blob);
    }
  }
}
