// The tablet's document viewer: PDF.js draws the pages, this script draws and saves the reader's
// annotations. No framework and no build step: an ES module the browser loads as it is.
//
// Three ideas carry it:
// - Pages are drawn lazily. Every page is an empty box of the right size from the start (the server
//   tells each page's size), and only the pages near the screen get a canvas and a text layer; the
//   others give their memory back. A 300-page paper opens as fast as a 3-page one and an iPad keeps
//   only a few canvases alive.
// - Annotation geometry lives in PDF points (origin bottom-left), as the API stores it. Each page has
//   one SVG whose viewBox is the page at scale 1 and whose group applies the page's own transform,
//   so marks sit right at any zoom without being recomputed.
// - Every change goes to the API at once, through one queue that keeps their order and retries
//   after a network error with the same client_id, so a retried creation is never a duplicate.

import * as pdfjs from "../vendor/pdfjs/pdf.min.mjs";

const VENDOR = new URL("../vendor/pdfjs/", import.meta.url);
pdfjs.GlobalWorkerOptions.workerSrc = new URL("pdf.worker.min.mjs", VENDOR).href;

const root = document.getElementById("viewer");
const config = JSON.parse(document.getElementById("viewer-config").textContent);
const strings = JSON.parse(document.getElementById("viewer-strings").textContent);
const startedAt = performance.now();

const SVG_NS = "http://www.w3.org/2000/svg";
const TEXT_MARKS = new Set(["highlight", "underline", "strikeout"]);
const TOOLS = new Set(["select", "highlight", "underline", "strikeout", "ink", "note", "freetext"]);
// The same colours the server gives a mark that comes without one (ecabinet/annotations/service.py).
const DEFAULT_COLORS = {
  highlight: "#FFD54F",
  underline: "#1E88E5",
  strikeout: "#E53935",
  ink: "#E53935",
  note: "#FFB300",
  freetext: "#212121",
};
const NOTE_ICON = 20; // points, as the annotated PDF draws it
const FREETEXT = { size: 10, line: 12, pad: 2, maxWidth: 240 };
const FONT_FAMILY = '"DejaVu Sans", "Noto Sans", "Liberation Sans", Arial, sans-serif';
const ZOOM_STEPS = [0.5, 0.67, 0.8, 0.9, 1, 1.1, 1.25, 1.5, 1.75, 2, 2.5, 3, 4];
const PAGE_GAP = 12; // px around each page
// iPadOS Safari gives a page a few hundred megabytes of canvas in all: keep each canvas and the sum
// small there (PDF.js's own viewer limits iOS to 4 megapixels a canvas for the same reason).
const IS_IOS = /iPad|iPhone|iPod/.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
const MAX_CANVAS_PIXELS = IS_IOS ? 4194304 : 8388608;
const CANVAS_BUDGET = IS_IOS ? 16777216 : 41943040; // pixels of all page canvases together

const $ = (id) => document.getElementById(id);
const scroller = $("vw-scroll");
const pagesEl = $("vw-pages");
const saveEl = $("vw-save");
const hintEl = $("vw-hint");

const state = {
  pdf: null,
  pages: [],
  scale: 1,
  fit: true,
  tool: "select",
  color: readSetting("color", ""),
  penOnly: readSetting("penOnly", "0") === "1",
  current: config.startPage,
  records: [], // annotations: the server's, and ours not saved yet
  selected: null,
  undo: [],
  lastRange: null, // the last text selection on the pages (a tap on the toolbar may clear the live one)
};

const metrics = { firstPageMs: null, pagesRendered: 0, rendersCancelled: 0 };
window.ecabinetViewer = { state, metrics };

// --- small helpers -----------------------------------------------------------------------------

function t(key, values = {}) {
  let text = key.split(".").reduce((obj, part) => (obj ? obj[part] : undefined), strings) ?? key;
  for (const [name, value] of Object.entries(values)) text = text.replace(`{${name}}`, value);
  return text;
}

function readSetting(name, fallback) {
  try {
    return window.localStorage.getItem(`ecabinet.viewer.${name}`) ?? fallback;
  } catch {
    return fallback;
  }
}

function writeSetting(name, value) {
  try {
    window.localStorage.setItem(`ecabinet.viewer.${name}`, value);
  } catch {
    /* private browsing: the choice lasts for this page only */
  }
}

function svg(name, attrs = {}) {
  const node = document.createElementNS(SVG_NS, name);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

function html(name, className, text) {
  const node = document.createElement(name);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

const uuid = window.ecabinet.uuid; // static/js/app.js

const round2 = (v) => Math.round(v * 100) / 100;
const clamp = (v, lo, hi) => Math.min(Math.max(v, lo), hi);
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

let hintTimer = 0;
function hint(message, ms = 4000) {
  hintEl.textContent = message;
  hintEl.hidden = !message;
  clearTimeout(hintTimer);
  if (message && ms) hintTimer = setTimeout(() => (hintEl.hidden = true), ms);
}

// --- pages ---------------------------------------------------------------------------------------

class PageView {
  constructor(number, box) {
    this.number = number;
    this.proxy = null; // PDFPageProxy, once PDF.js has read the page
    this.viewport = null; // its viewport at the scale it was last drawn
    this.canvas = null;
    this.textDiv = null;
    this.textLayer = null;
    this.renderedScale = 0;
    this.generation = 0; // bumped to forget a drawing in progress
    this.task = null;
    // Until the page is read, its media box stands in: no rotation, origin at the box's corner.
    const [x0, y0, x1, y1] = box || [0, 0, 595.28, 841.89];
    this.view = [x0, y0, x1, y1];
    this.base = { width: x1 - x0, height: y1 - y0, transform: [1, 0, 0, -1, -x0, y1] };

    this.div = html("div", "vw-page");
    this.div.dataset.page = String(number);
    this.div.setAttribute("role", "region");
    this.div.setAttribute("aria-label", t("pageLabel", { page: number, count: config.pageCount }));
    this.overlay = svg("svg", { class: "vw-overlay", preserveAspectRatio: "none", "aria-hidden": "true" });
    this.marks = svg("g", { class: "vw-marks" });
    this.overlay.appendChild(this.marks);
    this.div.appendChild(this.overlay);
    this.placeOverlay();
  }

  placeOverlay() {
    this.overlay.setAttribute("viewBox", `0 0 ${this.base.width} ${this.base.height}`);
    this.marks.setAttribute("transform", `matrix(${this.base.transform.join(" ")})`);
  }

  adopt(proxy) {
    this.proxy = proxy;
    const vp = proxy.getViewport({ scale: 1 });
    const changed = Math.abs(vp.width - this.base.width) > 0.5 || Math.abs(vp.height - this.base.height) > 0.5;
    this.base = { width: vp.width, height: vp.height, transform: vp.transform.slice() };
    this.view = proxy.view.slice();
    this.placeOverlay();
    if (changed) this.resize(state.scale);
    return changed;
  }

  resize(scale) {
    this.div.style.width = `${this.base.width * scale}px`;
    this.div.style.height = `${this.base.height * scale}px`;
  }

  // CSS pixels inside the page at the present zoom → PDF points.
  toPdf(x, y) {
    if (this.viewport && this.renderedScale === state.scale) {
      const [px, py] = this.viewport.convertToPdfPoint(x, y);
      return [px, py];
    }
    const [a, b, c, d, e, f] = this.base.transform;
    const sx = x / state.scale;
    const sy = y / state.scale;
    const det = a * d - b * c;
    return [(d * (sx - e) - c * (sy - f)) / det, (-b * (sx - e) + a * (sy - f)) / det];
  }

  clampPoint([x, y]) {
    const [x0, y0, x1, y1] = this.view;
    return [round2(clamp(x, Math.min(x0, x1), Math.max(x0, x1))), round2(clamp(y, Math.min(y0, y1), Math.max(y0, y1)))];
  }

  release() {
    this.generation += 1;
    if (this.task) {
      this.task.cancel();
      this.task = null;
    }
    if (this.textLayer) this.textLayer.cancel();
    this.textLayer = null;
    this.textDiv?.remove();
    this.textDiv = null;
    if (this.canvas) {
      // Safari frees a canvas's memory only when it shrinks to nothing, not when it leaves the page.
      this.canvas.width = 0;
      this.canvas.height = 0;
      this.canvas.remove();
      this.canvas = null;
    }
    this.renderedScale = 0;
    this.viewport = null;
    this.div.classList.remove("rendered");
    this.proxy?.cleanup();
  }
}

function outputScale(viewport) {
  const ratio = window.devicePixelRatio || 1;
  const pixels = viewport.width * viewport.height * ratio * ratio;
  return pixels > MAX_CANVAS_PIXELS ? Math.sqrt(MAX_CANVAS_PIXELS / (viewport.width * viewport.height)) : ratio;
}

const wanted = new Set();
let pumping = false;

async function renderPage(pv) {
  const generation = ++pv.generation;
  const scale = state.scale;
  if (!pv.proxy) {
    // A page whose real size differs from its media box (a crop box, a rotation) takes it now.
    pv.adopt(await state.pdf.getPage(pv.number));
    redrawPage(pv);
  }
  if (generation !== pv.generation || !wanted.has(pv.number)) return;
  const viewport = pv.proxy.getViewport({ scale });
  const ratio = outputScale(viewport);
  const canvas = html("canvas", "vw-canvas");
  canvas.width = Math.max(1, Math.floor(viewport.width * ratio));
  canvas.height = Math.max(1, Math.floor(viewport.height * ratio));
  const context = canvas.getContext("2d", { alpha: false });
  // PDF.js's default annotationMode (ENABLE) draws a form's fields, values and all, into the canvas
  // and makes no inputs: a member sees what the paper holds and edits none of it. It draws anew the
  // fields of a form that asks viewers to (/NeedAppearances): see static/vendor/pdfjs/VERSION.
  pv.task = pv.proxy.render({
    canvas,
    canvasContext: context,
    viewport,
    transform: ratio !== 1 ? [ratio, 0, 0, ratio, 0, 0] : null,
  });
  try {
    await pv.task.promise;
  } catch (err) {
    canvas.width = 0;
    canvas.height = 0;
    if (err?.name === "RenderingCancelledException") {
      metrics.rendersCancelled += 1;
      return;
    }
    throw err;
  } finally {
    if (generation === pv.generation) pv.task = null;
  }
  if (generation !== pv.generation) {
    canvas.width = 0;
    canvas.height = 0;
    return;
  }
  // The sharper canvas replaces the stretched one only once it is ready: no blank flash on zoom.
  if (pv.canvas) {
    pv.canvas.width = 0;
    pv.canvas.height = 0;
    pv.canvas.remove();
  }
  pv.canvas = canvas;
  pv.div.insertBefore(canvas, pv.div.firstChild);
  pv.viewport = viewport;
  pv.renderedScale = scale;
  pv.div.classList.add("rendered");
  metrics.pagesRendered += 1;
  if (metrics.firstPageMs === null) {
    metrics.firstPageMs = Math.round(performance.now() - startedAt);
    root.dataset.firstPageMs = String(metrics.firstPageMs);
  }

  if (pv.textLayer) {
    pv.textLayer.update({ viewport });
    return;
  }
  const div = html("div", "textLayer");
  const layer = new pdfjs.TextLayer({
    textContentSource: pv.proxy.streamTextContent({ includeMarkedContent: true, disableNormalization: true }),
    container: div,
    viewport,
  });
  pv.textLayer = layer;
  pv.textDiv = div;
  pv.div.insertBefore(div, pv.overlay.nextSibling);
  try {
    await layer.render();
    // As in PDF.js's own viewer: while a selection is dragged, this block covers the page's empty
    // parts, so that the selection does not jump to the whole page between two lines.
    div.appendChild(html("div", "endOfContent"));
    div.classList.add("ready");
  } catch (err) {
    if (generation === pv.generation) console.warn("text layer", pv.number, err);
  }
}

function nextToRender() {
  let best = null;
  for (const number of wanted) {
    const pv = state.pages[number - 1];
    if (pv.renderedScale === state.scale && pv.canvas) continue;
    if (!best || Math.abs(number - state.current) < Math.abs(best.number - state.current)) best = pv;
  }
  return best;
}

async function pump() {
  if (pumping || !state.pdf) return;
  pumping = true;
  try {
    for (let pv = nextToRender(); pv; pv = nextToRender()) {
      try {
        await renderPage(pv);
      } catch (err) {
        console.error("page", pv.number, err);
        wanted.delete(pv.number); // do not spin on a page that cannot be drawn
      }
      keepWithinBudget();
    }
  } finally {
    pumping = false;
  }
}

function keepWithinBudget() {
  const drawn = state.pages.filter((pv) => pv.canvas);
  let total = drawn.reduce((sum, pv) => sum + pv.canvas.width * pv.canvas.height, 0);
  drawn.sort((a, b) => Math.abs(b.number - state.current) - Math.abs(a.number - state.current));
  for (const pv of drawn) {
    if (total <= CANVAS_BUDGET || Math.abs(pv.number - state.current) <= 1) break;
    total -= pv.canvas.width * pv.canvas.height;
    wanted.delete(pv.number);
    pv.release();
  }
}

const observer = new IntersectionObserver(
  (entries) => {
    for (const entry of entries) {
      const number = Number(entry.target.dataset.page);
      if (entry.isIntersecting) {
        wanted.add(number);
      } else {
        wanted.delete(number);
        state.pages[number - 1].release();
      }
    }
    pump();
  },
  // Pages within about half a screen above and below are drawn before they scroll in.
  { root: scroller, rootMargin: "60% 0px 60% 0px" },
);

// --- zoom and scrolling ----------------------------------------------------------------------------

// "Fit width" fits the document's usual page: one landscape annex in a portrait paper scrolls
// sideways rather than shrinking every other page.
function fitScale() {
  const counts = new Map();
  for (const pv of state.pages) {
    const width = Math.round(pv.base.width);
    counts.set(width, (counts.get(width) || 0) + 1);
  }
  let usual = 595;
  let most = 0;
  for (const [width, count] of counts) {
    if (count > most) [usual, most] = [width, count];
  }
  const room = scroller.clientWidth - 2 * PAGE_GAP;
  return clamp(room / usual, 0.25, 5);
}

function pageTop(pv) {
  return pv.div.offsetTop;
}

// Zooming keeps the same spot of the same page under the reader's eyes.
function keepAnchor(change) {
  const pv = state.pages[state.current - 1];
  const before = pv ? (scroller.scrollTop - pageTop(pv)) / Math.max(pv.div.offsetHeight, 1) : 0;
  const left = scroller.scrollWidth > scroller.clientWidth ? (scroller.scrollLeft + scroller.clientWidth / 2) / scroller.scrollWidth : 0.5;
  change();
  if (pv) scroller.scrollTop = pageTop(pv) + before * pv.div.offsetHeight;
  scroller.scrollLeft = left * scroller.scrollWidth - scroller.clientWidth / 2;
}

function setZoom(scale, fit) {
  const next = clamp(fit ? fitScale() : scale, 0.25, 5);
  state.fit = fit;
  $("vw-fit").setAttribute("aria-pressed", String(fit));
  $("vw-zoom-level").textContent = `${Math.round(next * 100)}%`;
  if (Math.abs(next - state.scale) < 0.001 && state.pages[0]?.div.style.width) return;
  keepAnchor(() => {
    state.scale = next;
    pagesEl.style.setProperty("--total-scale-factor", String(next));
    for (const pv of state.pages) pv.resize(next);
  });
  closePopover();
  pump();
}

function zoomStep(direction) {
  const now = state.scale;
  const steps = direction > 0 ? ZOOM_STEPS.filter((s) => s > now * 1.01) : ZOOM_STEPS.filter((s) => s < now * 0.99).reverse();
  setZoom(steps[0] ?? now, false);
}

function currentPageFromScroll() {
  const line = scroller.scrollTop + scroller.clientHeight * 0.35;
  let lo = 0;
  let hi = state.pages.length - 1;
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (pageTop(state.pages[mid]) <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo + 1;
}

let scrollQueued = false;
function onScroll() {
  if (scrollQueued) return;
  scrollQueued = true;
  requestAnimationFrame(() => {
    scrollQueued = false;
    const number = currentPageFromScroll();
    if (number !== state.current) {
      state.current = number;
      const input = $("vw-page");
      if (document.activeElement !== input) input.value = String(number);
    }
    placePopover();
  });
}

function goToPage(number) {
  const pv = state.pages[clamp(number, 1, state.pages.length) - 1];
  if (!pv) return;
  state.current = pv.number;
  scroller.scrollTop = pageTop(pv) - PAGE_GAP / 2;
  $("vw-page").value = String(pv.number);
}

// --- annotations: drawing ------------------------------------------------------------------------

let measureContext = null;
function textWidth(text) {
  measureContext ??= document.createElement("canvas").getContext("2d");
  measureContext.font = `${FREETEXT.size}px ${FONT_FAMILY}`;
  return measureContext.measureText(text).width;
}

// Lines of free text wrapped to a width in points, the way the annotated PDF wraps them (roughly).
function wrap(text, width) {
  const lines = [];
  for (const paragraph of text.split(/\r?\n/)) {
    let line = "";
    for (const word of paragraph.split(/(\s+)/)) {
      const candidate = line + word;
      if (!line || textWidth(candidate.trimEnd()) <= width) {
        line = candidate;
        continue;
      }
      lines.push(line.trimEnd());
      line = word.trimStart();
      while (textWidth(line) > width && line.length > 1) {
        let cut = line.length - 1;
        while (cut > 1 && textWidth(line.slice(0, cut)) > width) cut -= 1;
        lines.push(line.slice(0, cut));
        line = line.slice(cut);
      }
    }
    lines.push(line.trimEnd());
  }
  return lines;
}

function bounds(rec) {
  if (rec.kind === "ink") {
    const xs = rec.paths.flat().map((p) => p[0]);
    const ys = rec.paths.flat().map((p) => p[1]);
    return [Math.min(...xs) - 2, Math.min(...ys) - 2, Math.max(...xs) + 2, Math.max(...ys) + 2];
  }
  if (rec.kind === "note") {
    const [x1, , , y2] = rec.rects[0];
    return [x1, y2 - NOTE_ICON, x1 + NOTE_ICON, y2];
  }
  const r = rec.rects;
  return [Math.min(...r.map((q) => q[0])), Math.min(...r.map((q) => q[1])), Math.max(...r.map((q) => q[2])), Math.max(...r.map((q) => q[3]))];
}

// An upright group whose origin is the PDF point (x, y), y growing downwards: for text and icons.
function upright(x, y) {
  return svg("g", { transform: `matrix(1 0 0 -1 ${x} ${y})` });
}

function buildMark(rec) {
  const g = svg("g", { class: `vw-ann vw-${rec.kind}${rec.mine ? "" : " others"}` });
  g.dataset.annotationId = rec.id ? String(rec.id) : "";
  g.dataset.clientId = rec.client_id || "";
  const color = rec.color;
  if (rec.kind === "highlight") {
    for (const [x1, y1, x2, y2] of rec.rects) {
      g.appendChild(svg("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, fill: color }));
    }
  } else if (rec.kind === "underline" || rec.kind === "strikeout") {
    for (const [x1, y1, x2, y2] of rec.rects) {
      const h = y2 - y1;
      const y = rec.kind === "underline" ? y1 + h * 0.08 : y1 + h * 0.45;
      g.appendChild(svg("line", { x1, y1: y, x2, y2: y, stroke: color, "stroke-width": Math.max(0.8, h * 0.07) }));
    }
  } else if (rec.kind === "ink") {
    for (const path of rec.paths) {
      const points = path.length === 1 ? [path[0], path[0]] : path;
      g.appendChild(svg("polyline", { points: points.map((p) => p.join(",")).join(" "), stroke: color }));
    }
  } else if (rec.kind === "note") {
    const [x1, , , y2] = rec.rects[0];
    const icon = upright(x1, y2);
    icon.appendChild(svg("rect", { x: 0.5, y: 0.5, width: NOTE_ICON - 1, height: NOTE_ICON - 1, rx: 2, fill: color, class: "vw-note-box" }));
    icon.appendChild(svg("path", { d: "M4 6h12M4 10h12M4 14h8", class: "vw-note-lines" }));
    g.appendChild(icon);
  } else if (rec.kind === "freetext") {
    const [x1, y1, x2, y2] = rec.rects[0];
    g.appendChild(svg("rect", { x: x1, y: y1, width: x2 - x1, height: y2 - y1, class: "vw-ft-box" }));
    const box = upright(x1, y2);
    const text = svg("text", { fill: color, "font-size": FREETEXT.size, "font-family": FONT_FAMILY });
    wrap(rec.text || "", Math.max(x2 - x1 - 2 * FREETEXT.pad, 4)).forEach((line, i) => {
      const span = svg("tspan", { x: FREETEXT.pad, y: FREETEXT.pad + FREETEXT.size * 0.95 + i * FREETEXT.line });
      span.textContent = line;
      text.appendChild(span);
    });
    box.appendChild(text);
    g.appendChild(box);
  }
  if (!rec.mine) {
    // Someone else's shared mark says whose it is, right beside it.
    const [bx1, by1, , by2] = bounds(rec);
    const pv = state.pages[rec.page - 1];
    const top = Math.max(pv.view[1], pv.view[3]);
    const label = by2 + 9 < top ? upright(bx1, by2 + 8) : upright(bx1, by1 - 1);
    const name = svg("text", { class: "vw-author", "font-size": 7, "font-family": FONT_FAMILY, y: 0 });
    name.textContent = rec.author?.full_name || "";
    label.appendChild(name);
    g.appendChild(label);
  }
  if (rec === state.selected) {
    const [x1, y1, x2, y2] = bounds(rec);
    g.appendChild(svg("rect", { x: x1 - 2, y: y1 - 2, width: x2 - x1 + 4, height: y2 - y1 + 4, class: "vw-selection" }));
  }
  return g;
}

function draw(rec) {
  rec.el?.remove();
  rec.el = null;
  const pv = state.pages[rec.page - 1];
  if (!pv || rec.deleted) return;
  rec.el = buildMark(rec);
  pv.marks.appendChild(rec.el);
}

function redrawPage(pv) {
  for (const rec of state.records) if (rec.page === pv.number) draw(rec);
}

// --- annotations: the records and the save queue -------------------------------------------------

function fromServer(a) {
  return {
    id: a.id,
    client_id: a.client_id || null,
    page: a.page,
    kind: a.kind,
    rects: a.rects,
    paths: a.paths,
    color: a.color,
    text: a.text,
    quote: a.quote,
    shared: a.shared,
    mine: a.mine,
    author: a.author,
  };
}

function findRecord(a) {
  return state.records.find((r) => (a.id && r.id === a.id) || (a.client_id && r.client_id === a.client_id));
}

function addFromServer(a) {
  const rec = { ...fromServer(a), pending: 0, deleted: false, el: null };
  state.records.push(rec);
  draw(rec);
  return rec;
}

// What the server says now, merged with what is still on its way there.
function reconcile(list) {
  const seen = new Set();
  for (const a of list) {
    const rec = findRecord(a);
    if (!rec) {
      seen.add(addFromServer(a));
      continue;
    }
    seen.add(rec);
    if (rec.pending) continue;
    Object.assign(rec, fromServer(a));
    draw(rec);
  }
  for (const rec of state.records.slice()) {
    if (!seen.has(rec) && rec.id && !rec.pending) forget(rec); // removed on another device
  }
}

function forget(rec) {
  rec.el?.remove();
  rec.el = null;
  state.records = state.records.filter((r) => r !== rec);
  if (state.selected === rec) select(null);
}

class RetryLater extends Error {}

// static/js/api.js's call, with the failures worth waiting out told apart from a refusal.
async function request(method, url, body) {
  try {
    const answer = await window.ecabinet.api(method, url, body);
    // Offline, the service worker keeps a change in the tablet's outbox and answers for the server.
    if (method !== "GET") checkOutbox();
    return answer;
  } catch (err) {
    if (err.status === 0) throw new RetryLater("network");
    if (err.status === 401) throw new RetryLater("logged_out");
    if (err.status >= 500 || err.status === 408 || err.status === 429) throw new RetryLater("server");
    throw err;
  }
}

const queue = [];
let queueRunning = false;
let queueProblem = null; // why the head of the queue waits: "network", "server", "logged_out"
let wake = null;
let keptOnDevice = false; // a change of ours waits in the tablet's outbox (static/js/sw.js), not on the server

// --- unsaved work kept on the tablet ----------------------------------------------------------------
// Until the server has it, the reader's work is also kept in this browser's storage: a tablet whose
// page is closed or reloaded while offline (iPad Safari drops background tabs) finds it again at the
// next opening and sends it then. Kept as the state each mark should end in, not as requests: a
// creation goes again with its client_id, which the server answers with the mark it already has.

const UNSAVED_KEY = `ecabinet.unsaved.${config.userId}.${config.documentId}.${config.version}`;
const MARK_FIELDS = ["page", "kind", "rects", "paths", "color", "text", "quote", "shared"];
let carried = readUnsaved(); // from an earlier opening, until the server's list lets us apply it

function readUnsaved() {
  try {
    return JSON.parse(window.localStorage.getItem(UNSAVED_KEY) || "[]");
  } catch {
    return [];
  }
}

function keepUnsaved() {
  if (window.ecabinet.isWiped()) return; // told to keep nothing on this device
  const unsaved = state.records
    .filter((rec) => rec.mine && rec.pending > 0)
    .map((rec) => ({
      id: rec.id,
      client_id: rec.client_id,
      deleted: rec.deleted,
      fields: Object.fromEntries(MARK_FIELDS.map((name) => [name, rec[name]])),
    }));
  const all = carried.concat(unsaved);
  try {
    if (all.length) window.localStorage.setItem(UNSAVED_KEY, JSON.stringify(all));
    else window.localStorage.removeItem(UNSAVED_KEY);
  } catch {
    /* private browsing or a full storage: the work is in this page only, as before */
  }
}

// After the server's list is in: what it lacks is sent again, what it has is brought up to date.
function applyCarried() {
  const earlier = carried;
  carried = [];
  for (const entry of earlier) {
    const rec = findRecord(entry);
    if (entry.deleted) {
      if (rec?.mine) remove(rec, { undoable: false });
    } else if (rec) {
      if (!rec.mine) continue;
      const changes = Object.fromEntries(
        MARK_FIELDS.filter((name) => JSON.stringify(rec[name]) !== JSON.stringify(entry.fields[name])).map(
          (name) => [name, entry.fields[name]],
        ),
      );
      if (Object.keys(changes).length) change(rec, changes);
    } else if (!entry.id) {
      create({ ...entry.fields, client_id: entry.client_id }, { undoable: false });
    } // else: saved once and since deleted on another device; it stays deleted
  }
  keepUnsaved();
}

function enqueue(rec, run, undo) {
  rec.pending += 1;
  queue.push({ rec, run, undo });
  keepUnsaved();
  showSaveState();
  runQueue();
}

function wakeQueue() {
  if (wake) wake();
}

async function runQueue() {
  if (queueRunning) return;
  queueRunning = true;
  let delay = 1000;
  while (queue.length) {
    const op = queue[0];
    try {
      await op.run();
      queueProblem = null;
      delay = 1000;
    } catch (err) {
      if (err instanceof RetryLater) {
        // Same request again later: a creation carries the same client_id, so it cannot double.
        queueProblem = err.message;
        showSaveState();
        await new Promise((resolve) => {
          wake = resolve;
          setTimeout(resolve, delay);
        });
        wake = null;
        delay = Math.min(delay * 2, 30000);
        continue;
      }
      queueProblem = null;
      console.warn("annotation refused", err);
      op.undo?.();
      hint(t("refused"), 6000);
    }
    queue.shift();
    op.rec.pending -= 1;
    keepUnsaved();
    showSaveState();
  }
  queueRunning = false;
  showSaveState();
}

function showSaveState() {
  let key = keptOnDevice ? "kept" : "saved";
  if (queue.length) key = queueProblem ? "unsaved" : "saving";
  saveEl.dataset.state = key;
  saveEl.textContent = t(key);
  saveEl.title = queueProblem === "logged_out" ? t("loggedOut") : queueProblem ? t("offline") : "";
  if (queueProblem === "logged_out") hint(t("loggedOut"), 0);
}

// The outbox is sent when the network returns; the service worker says so after each change it sends.
async function checkOutbox() {
  const store = window.ecabinetOffline;
  if (!store) return;
  const waiting = await store.all("outbox").catch(() => []);
  keptOnDevice = waiting.some(
    (entry) => entry.kind === "annotation" && Number(entry.document) === Number(config.documentId),
  );
  showSaveState();
}
navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type === "outbox") checkOutbox();
});

function body(rec) {
  const out = { version: config.version, page: rec.page, kind: rec.kind, color: rec.color, shared: rec.shared, client_id: rec.client_id };
  if (rec.rects) out.rects = rec.rects;
  if (rec.paths) out.paths = rec.paths;
  if (rec.text) out.text = rec.text;
  if (rec.quote) out.quote = rec.quote;
  return out;
}

function create(fields, { undoable = true } = {}) {
  const rec = {
    id: null,
    client_id: uuid(),
    shared: false,
    mine: true,
    author: { id: config.userId, full_name: "" },
    rects: null,
    paths: null,
    text: null,
    quote: null,
    ...fields,
    color: fields.color || state.color || DEFAULT_COLORS[fields.kind],
    pending: 0,
    deleted: false,
    el: null,
  };
  state.records.push(rec);
  draw(rec);
  if (undoable) pushUndo({ type: "create", rec });
  enqueue(
    rec,
    async () => {
      const saved = await request("POST", config.annotationsUrl, body(rec));
      rec.id = saved.id;
      rec.color = saved.color;
      rec.author = saved.author;
      if (rec.el) rec.el.dataset.annotationId = String(saved.id);
    },
    () => forget(rec),
  );
  return rec;
}

function remove(rec, { undoable = true } = {}) {
  if (!rec.mine || rec.deleted) return;
  rec.deleted = true;
  if (state.selected === rec) select(null);
  rec.el?.remove();
  rec.el = null;
  if (undoable) pushUndo({ type: "delete", rec });
  enqueue(
    rec,
    async () => {
      if (!rec.id) return; // its creation was refused: nothing to delete
      try {
        await request("DELETE", config.annotationUrl + rec.id);
      } catch (err) {
        if (err.status !== 404) throw err;
      }
      forget(rec);
    },
    () => {
      rec.deleted = false;
      draw(rec);
    },
  );
}

function change(rec, changes) {
  if (!rec.mine || rec.deleted) return;
  const before = Object.fromEntries(Object.keys(changes).map((k) => [k, rec[k]]));
  Object.assign(rec, changes);
  draw(rec);
  enqueue(
    rec,
    async () => {
      if (!rec.id) return;
      const saved = await request("PATCH", config.annotationUrl + rec.id, changes);
      rec.color = saved.color;
      rec.shared = saved.shared;
    },
    () => {
      Object.assign(rec, before);
      draw(rec);
    },
  );
}

function pushUndo(action) {
  state.undo.push(action);
  if (state.undo.length > 100) state.undo.shift();
  $("vw-undo").disabled = false;
}

function undo() {
  const action = state.undo.pop();
  $("vw-undo").disabled = state.undo.length === 0;
  if (!action) {
    hint(t("nothingToUndo"));
    return;
  }
  if (action.type === "create") {
    remove(action.rec, { undoable: false });
  } else {
    // Back as a new annotation (the old one is gone on the server), in the same place and words.
    const old = action.rec;
    const fields = { page: old.page, kind: old.kind, rects: old.rects, paths: old.paths, color: old.color, text: old.text, quote: old.quote, shared: old.shared };
    const restored = create(fields, { undoable: false });
    for (const other of state.undo) if (other.rec === old) other.rec = restored;
  }
  hint(t("undone"), 2000);
}

// --- annotations: making them ----------------------------------------------------------------------

function pageOf(node) {
  const div = node instanceof Element ? node.closest(".vw-page") : node?.parentElement?.closest(".vw-page");
  return div ? state.pages[Number(div.dataset.page) - 1] : null;
}

function pageAt(clientX, clientY) {
  const hit = document.elementFromPoint(clientX, clientY);
  return hit ? pageOf(hit) : null;
}

function pointIn(pv, clientX, clientY) {
  const box = pv.div.getBoundingClientRect();
  return pv.clampPoint(pv.toPdf(clientX - box.left, clientY - box.top));
}

function clip(range, node) {
  const part = document.createRange();
  part.selectNodeContents(node);
  if (range.compareBoundaryPoints(Range.START_TO_START, part) > 0) part.setStart(range.startContainer, range.startOffset);
  if (range.compareBoundaryPoints(Range.END_TO_END, part) < 0) part.setEnd(range.endContainer, range.endOffset);
  return part.collapsed ? null : part;
}

// The selection's boxes on one page, one per line, in PDF points. Lines are joined in PDF space,
// where a rotated page's text still runs along x.
function selectionRects(pv, range) {
  const page = pv.div.getBoundingClientRect();
  const lines = [];
  for (const r of range.getClientRects()) {
    if (r.width < 0.5 || r.height < 0.5) continue;
    if (r.width >= page.width * 0.95 && r.height >= page.height * 0.5) continue; // a whole layer, not words
    const left = Math.max(r.left, page.left) - page.left;
    const right = Math.min(r.right, page.right) - page.left;
    const top = Math.max(r.top, page.top) - page.top;
    const bottom = Math.min(r.bottom, page.bottom) - page.top;
    if (right <= left || bottom <= top) continue;
    const [ax, ay] = pv.clampPoint(pv.toPdf(left, bottom));
    const [bx, by] = pv.clampPoint(pv.toPdf(right, top));
    const box = [Math.min(ax, bx), Math.min(ay, by), Math.max(ax, bx), Math.max(ay, by)];
    const line = lines.find((l) => {
      const overlap = Math.min(l[3], box[3]) - Math.max(l[1], box[1]);
      const height = Math.min(l[3] - l[1], box[3] - box[1]);
      const gap = Math.max(l[0], box[0]) - Math.min(l[2], box[2]);
      return overlap > height * 0.5 && gap < height * 1.5;
    });
    if (line) {
      line[0] = Math.min(line[0], box[0]);
      line[1] = Math.min(line[1], box[1]);
      line[2] = Math.max(line[2], box[2]);
      line[3] = Math.max(line[3], box[3]);
    } else {
      lines.push(box);
    }
  }
  return lines;
}

// The selected words as a reader would copy them: a space where one line ends and the next begins
// (PDF.js's text layer has no separator there when the PDF marks no line ends).
function quoteOf(pv, range) {
  const page = pv.div.getBoundingClientRect();
  const walker = document.createTreeWalker(pv.textDiv, NodeFilter.SHOW_TEXT);
  let out = "";
  let lastY = null;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!range.intersectsNode(node)) continue;
    // A boundary inside an element (a drag that ended between spans) cuts no text node.
    const from = node === range.startContainer ? range.startOffset : 0;
    const to = node === range.endContainer ? range.endOffset : node.length;
    const piece = node.data.slice(from, to);
    if (!piece) continue;
    const box = node.parentElement.getBoundingClientRect();
    const [, y] = pv.toPdf(box.left + box.width / 2 - page.left, box.top + box.height / 2 - page.top);
    if (lastY !== null && Math.abs(y - lastY) > 2 && !/\s$/.test(out)) out += " ";
    out += piece;
    lastY = y;
  }
  return out.replace(/\s+/g, " ").trim();
}

function liveRange() {
  const selection = window.getSelection();
  if (!selection || selection.rangeCount === 0 || selection.isCollapsed) return null;
  const range = selection.getRangeAt(0);
  return pagesEl.contains(range.commonAncestorContainer) ? range : null;
}

// Highlight, underline or strike out the selected words; one annotation per page they cover.
function markSelection(kind) {
  const range = liveRange() || state.lastRange;
  if (!range || range.collapsed) return false;
  let made = 0;
  for (const pv of state.pages) {
    if (!pv.textDiv || !range.intersectsNode(pv.textDiv)) continue;
    const part = clip(range, pv.textDiv);
    if (!part) continue;
    const rects = selectionRects(pv, part);
    if (!rects.length) continue;
    const quote = quoteOf(pv, part);
    create({ page: pv.number, kind, rects, quote: quote || null });
    made += 1;
  }
  window.getSelection()?.removeAllRanges();
  state.lastRange = null;
  return made > 0;
}

let stroke = null;

function startStroke(event, pv) {
  const point = pointIn(pv, event.clientX, event.clientY);
  const line = svg("polyline", { class: "vw-live-stroke", stroke: state.color || DEFAULT_COLORS.ink });
  pv.marks.appendChild(line);
  stroke = { pv, id: event.pointerId, points: [point], line, queued: false };
  pv.div.setPointerCapture?.(event.pointerId);
  drawStroke();
}

function drawStroke() {
  if (!stroke) return;
  const points = stroke.points.length === 1 ? [stroke.points[0], stroke.points[0]] : stroke.points;
  stroke.line.setAttribute("points", points.map((p) => p.join(",")).join(" "));
  stroke.queued = false;
}

function extendStroke(event) {
  const events = event.getCoalescedEvents?.() || [event];
  for (const e of events.length ? events : [event]) {
    const point = pointIn(stroke.pv, e.clientX, e.clientY);
    const last = stroke.points[stroke.points.length - 1];
    if (Math.hypot(point[0] - last[0], point[1] - last[1]) >= 0.6 / state.scale) stroke.points.push(point);
  }
  if (!stroke.queued) {
    stroke.queued = true;
    requestAnimationFrame(drawStroke);
  }
}

function endStroke() {
  const done = stroke;
  stroke = null;
  done.line.remove();
  create({ page: done.pv.number, kind: "ink", paths: [done.points.slice(0, 5000)] });
}

// --- hit testing and the popover ---------------------------------------------------------------------

function distanceToSegment([px, py], [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len = dx * dx + dy * dy;
  const k = len ? clamp(((px - ax) * dx + (py - ay) * dy) / len, 0, 1) : 0;
  return Math.hypot(px - (ax + k * dx), py - (ay + k * dy));
}

function hitTest(pv, point) {
  const tolerance = 10 / state.scale; // a fingertip, in points
  const inside = ([x1, y1, x2, y2], pad) => point[0] >= x1 - pad && point[0] <= x2 + pad && point[1] >= y1 - pad && point[1] <= y2 + pad;
  const candidates = state.records.filter((r) => r.page === pv.number && !r.deleted).reverse();
  // Small things on top of big ones: a note inside a highlighted paragraph must stay reachable.
  for (const rec of candidates) {
    if (rec.kind === "note" && inside(bounds(rec), tolerance / 2)) return rec;
  }
  for (const rec of candidates) {
    if (rec.kind === "ink") {
      for (const path of rec.paths) {
        for (let i = 0; i < path.length; i += 1) {
          if (distanceToSegment(point, path[i], path[Math.min(i + 1, path.length - 1)]) <= tolerance) return rec;
        }
      }
    } else if (rec.kind !== "note" && rec.rects.some((r) => inside(r, rec.kind === "highlight" ? 0 : tolerance / 2))) {
      return rec;
    }
  }
  return null;
}

const popover = html("div", "vw-pop");
popover.setAttribute("role", "dialog");
popover.hidden = true;
root.appendChild(popover);

function select(rec) {
  const previous = state.selected;
  state.selected = rec;
  if (previous && previous !== rec) draw(previous);
  if (rec) draw(rec);
  $("vw-delete").disabled = !(rec && rec.mine);
  if (rec) openPopover(rec);
  else closePopover();
}

function openPopover(rec) {
  popover.replaceChildren();
  const head = html("p", "vw-pop-head");
  const kind = html("strong", "", t(`kinds.${rec.kind}`));
  kind.style.setProperty("--mark", rec.color);
  head.appendChild(kind);
  if (!rec.mine) head.appendChild(html("span", "vw-pop-author", t("byName", { name: rec.author?.full_name || "" })));
  popover.appendChild(head);
  if (rec.quote) popover.appendChild(html("blockquote", "vw-pop-quote", rec.quote));
  if (rec.text) popover.appendChild(html("p", "vw-pop-text", rec.text));
  const actions = html("div", "vw-pop-actions");
  if (rec.mine) {
    const share = html("label", "vw-share");
    const box = html("input");
    box.type = "checkbox";
    box.checked = rec.shared;
    box.addEventListener("change", () => {
      change(rec, { shared: box.checked });
      state.selected === rec && openPopover(rec);
    });
    share.append(box, html("span", "", t("share")));
    popover.appendChild(share);
    popover.appendChild(html("p", "vw-pop-state muted", rec.shared ? t("sharedOn") : t("sharedOff")));
    if (rec.kind === "note" || rec.kind === "freetext") {
      const edit = html("button", "small", t("edit"));
      edit.type = "button";
      edit.addEventListener("click", () => openEditor(rec.kind, state.pages[rec.page - 1], null, rec));
      actions.appendChild(edit);
    }
    const del = html("button", "small danger-outline", t("delete"));
    del.type = "button";
    del.dataset.action = "delete";
    del.addEventListener("click", () => remove(rec));
    actions.appendChild(del);
  } else {
    popover.appendChild(html("p", "vw-pop-state muted", t("readOnly")));
  }
  const close = html("button", "small", t("close"));
  close.type = "button";
  close.addEventListener("click", () => select(null));
  actions.appendChild(close);
  popover.appendChild(actions);
  popover.hidden = false;
  placePopover();
}

function placePopover() {
  const rec = state.selected;
  if (popover.hidden || !rec?.el) return;
  const target = rec.el.getBoundingClientRect();
  const frame = scroller.getBoundingClientRect();
  const width = popover.offsetWidth;
  const height = popover.offsetHeight;
  let top = target.bottom + 8;
  if (top + height > frame.bottom - 4) top = target.top - height - 8;
  top = clamp(top, frame.top + 4, Math.max(frame.top + 4, frame.bottom - height - 4));
  const left = clamp(target.left, frame.left + 4, Math.max(frame.left + 4, frame.right - width - 4));
  popover.style.top = `${top}px`;
  popover.style.left = `${left}px`;
}

function closePopover() {
  popover.hidden = true;
}

// --- notes and free text: the inline editor -----------------------------------------------------------

let editor = null;

function closeEditor() {
  editor?.box.remove();
  editor = null;
}

function noteRect(pv, [x, y]) {
  const [x0, y0, x1, y1] = pv.view;
  const left = clamp(x, Math.min(x0, x1), Math.max(x0, x1) - NOTE_ICON);
  const top = clamp(y, Math.min(y0, y1) + NOTE_ICON, Math.max(y0, y1));
  return [round2(left), round2(top - NOTE_ICON), round2(left + NOTE_ICON), round2(top)];
}

function freetextRect(pv, [x, y], text) {
  const [vx0, vy0, vx1, vy1] = pv.view;
  const right = Math.max(vx0, vx1);
  const bottom = Math.min(vy0, vy1);
  const room = Math.max(Math.min(FREETEXT.maxWidth, right - x), 60);
  const lines = wrap(text, room - 2 * FREETEXT.pad);
  const width = Math.min(Math.max(...lines.map(textWidth)) * 1.08 + 2 * FREETEXT.pad + 2, room);
  const height = lines.length * FREETEXT.line + 2 * FREETEXT.pad + 2;
  const left = clamp(x, Math.min(vx0, vx1), right - width);
  const top = clamp(y, bottom + height, Math.max(vy0, vy1));
  return [round2(left), round2(top - height), round2(left + width), round2(top)];
}

// The editor sits on the page where the text goes, in page percentages so that zoom keeps it there.
function openEditor(kind, pv, point, rec = null) {
  closeEditor();
  closePopover();
  const at = rec ? [rec.rects[0][0], rec.rects[0][3]] : point;
  const [a, b, c, d, e, f] = pv.base.transform;
  const vx = a * at[0] + c * at[1] + e;
  const vy = b * at[0] + d * at[1] + f;
  const box = html("form", `vw-editor vw-editor-${kind}`);
  box.style.left = `${(vx / pv.base.width) * 100}%`;
  box.style.top = `${(vy / pv.base.height) * 100}%`;
  box.classList.toggle("flip-x", vx / pv.base.width > 0.55);
  const area = html("textarea");
  area.rows = 3;
  area.maxLength = 10000;
  area.value = rec?.text || "";
  area.setAttribute("aria-label", kind === "note" ? t("noteText") : t("freeText"));
  area.placeholder = kind === "note" ? t("noteText") : t("freeText");
  const row = html("div", "vw-editor-actions");
  const save = html("button", "small primary", t("save"));
  save.type = "submit";
  const cancel = html("button", "small", t("cancel"));
  cancel.type = "button";
  row.append(save, cancel);
  box.append(area, row);
  pv.div.appendChild(box);
  editor = { box, kind, pv, point: at, rec };
  cancel.addEventListener("click", closeEditor);
  box.addEventListener("submit", (event) => {
    event.preventDefault();
    const text = area.value.trim();
    if (!text) {
      closeEditor();
      return;
    }
    const rect = kind === "note" ? noteRect(pv, at) : freetextRect(pv, at, text);
    if (rec) change(rec, { text, rects: [rect] });
    else create({ page: pv.number, kind, rects: [rect], text });
    closeEditor();
  });
  area.addEventListener("keydown", (event) => {
    if (event.key === "Escape") closeEditor();
    if (event.key === "Enter" && (event.ctrlKey || event.metaKey)) save.click();
  });
  // iPad Safari opens the keyboard only for a focus that follows the tap at once.
  area.focus({ preventScroll: true });
  box.scrollIntoView({ block: "nearest" });
}

// --- tools and the toolbar ---------------------------------------------------------------------------

const toolHints = {
  highlight: "selectTextFirst",
  underline: "selectTextFirst",
  strikeout: "selectTextFirst",
  ink: null,
  note: "tapForNote",
  freetext: "tapForText",
};

function setTool(tool) {
  state.tool = TOOLS.has(tool) ? tool : "select";
  root.dataset.tool = state.tool;
  for (const button of document.querySelectorAll(".vw-tool")) {
    button.setAttribute("aria-pressed", String(button.dataset.tool === state.tool));
  }
  $("vw-pen-only").hidden = state.tool !== "ink";
  if (state.tool !== "select") select(null);
  if (state.tool === "ink") hint(state.penOnly ? t("penOnlyHint") : t("drawHint"));
  else if (toolHints[state.tool]) hint(t(toolHints[state.tool]));
  else hint("");
  closeEditor();
}

function setColor(color) {
  state.color = color;
  writeSetting("color", color);
  const swatch = $("vw-color-swatch");
  swatch.classList.toggle("auto", !color);
  swatch.style.background = color || "";
  for (const b of document.querySelectorAll(".vw-palette [data-color]")) {
    b.setAttribute("aria-pressed", String(b.dataset.color === color));
  }
  if (color && state.selected?.mine) change(state.selected, { color });
}

function setPenOnly(on) {
  state.penOnly = on;
  writeSetting("penOnly", on ? "1" : "0");
  root.dataset.penOnly = on ? "1" : "0";
  $("vw-pen-only").setAttribute("aria-pressed", String(on));
  if (state.tool === "ink") hint(on ? t("penOnlyHint") : t("drawHint"));
}

function wireToolbar() {
  // A tap on a tool must not take the text selection away before the tool can use it.
  root.querySelector(".vw-toolbar").addEventListener("mousedown", (event) => {
    if (!event.target.closest("input")) event.preventDefault();
  });
  for (const button of document.querySelectorAll(".vw-tool")) {
    button.addEventListener("click", () => {
      const tool = button.dataset.tool;
      if (TEXT_MARKS.has(tool) && markSelection(tool)) {
        setTool("select");
        return;
      }
      setTool(state.tool === tool && tool !== "select" ? "select" : tool);
    });
  }
  const palette = $("vw-palette");
  // Each colour's swatch painted from its button's data-color (a style attribute would break the
  // Content-Security-Policy).
  for (const b of palette.querySelectorAll("[data-color]:not([data-color=''])")) {
    b.querySelector(".vw-swatch").style.background = b.dataset.color;
  }
  $("vw-color").addEventListener("click", () => {
    palette.hidden = !palette.hidden;
    $("vw-color").setAttribute("aria-expanded", String(!palette.hidden));
    // Fixed, not absolute: the toolbar scrolls sideways on a narrow screen and would clip it.
    const at = $("vw-color").getBoundingClientRect();
    palette.style.top = `${at.bottom + 4}px`;
    palette.style.left = `${clamp(at.left, 4, window.innerWidth - palette.offsetWidth - 4)}px`;
  });
  palette.addEventListener("click", (event) => {
    const button = event.target.closest("[data-color]");
    if (!button) return;
    setColor(button.dataset.color);
    palette.hidden = true;
    $("vw-color").setAttribute("aria-expanded", "false");
  });
  $("vw-pen-only").addEventListener("click", () => setPenOnly(!state.penOnly));
  $("vw-delete").addEventListener("click", () => state.selected && remove(state.selected));
  $("vw-undo").addEventListener("click", undo);
  $("vw-zoom-in").addEventListener("click", () => zoomStep(1));
  $("vw-zoom-out").addEventListener("click", () => zoomStep(-1));
  $("vw-fit").addEventListener("click", () => setZoom(0, true));
  $("vw-pageno").addEventListener("submit", (event) => {
    event.preventDefault();
    goToPage(Number($("vw-page").value) || 1);
    $("vw-page").blur();
  });
  $("vw-page").addEventListener("change", () => goToPage(Number($("vw-page").value) || 1));
  document.addEventListener("keydown", (event) => {
    if (event.target.closest?.("input, textarea, select")) return;
    if ((event.key === "Delete" || event.key === "Backspace") && state.selected?.mine) {
      event.preventDefault();
      remove(state.selected);
    } else if (event.key === "z" && (event.ctrlKey || event.metaKey) && !event.shiftKey) {
      event.preventDefault();
      undo();
    } else if (event.key === "Escape") {
      select(null);
      setTool("select");
    } else if ((event.key === "+" || event.key === "=") && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      zoomStep(1);
    } else if (event.key === "-" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      zoomStep(-1);
    }
  });
  setColor(state.color);
  setPenOnly(state.penOnly);
  setTool("select");
}

// --- pointer input on the pages ------------------------------------------------------------------------

let press = null;
let placing = null;

function wirePages() {
  pagesEl.addEventListener("pointerdown", (event) => {
    const pv = pageOf(event.target);
    if (!pv || event.target.closest(".vw-editor")) return;
    if (state.tool === "ink") {
      if (event.button > 0 || (event.pointerType === "touch" && state.penOnly)) return;
      event.preventDefault();
      startStroke(event, pv);
      return;
    }
    press = { x: event.clientX, y: event.clientY, at: performance.now(), pv };
    pv.textDiv?.classList.add("selecting");
  });
  pagesEl.addEventListener("pointermove", (event) => {
    if (stroke && event.pointerId === stroke.id) extendStroke(event);
  });
  const finish = (event) => {
    for (const layer of pagesEl.querySelectorAll(".textLayer.selecting")) layer.classList.remove("selecting");
    if (stroke && event.pointerId === stroke.id) {
      endStroke();
      return;
    }
    const started = press;
    press = null;
    // A mouse or a pen has finished its selection when it lets go, and the armed tool marks it at once
    // (and stays armed for the next passage). A finger's selection on an iPad is only begun by the
    // long press: its handles still move, so the reader taps the tool when it is right.
    if (TEXT_MARKS.has(state.tool) && event.pointerType !== "touch" && liveRange()) {
      markSelection(state.tool);
      return;
    }
    if (!started || event.type === "pointercancel") return;
    const moved = Math.hypot(event.clientX - started.x, event.clientY - started.y);
    if (moved > 10 || performance.now() - started.at > 800 || liveRange()) return;
    const point = pointIn(started.pv, event.clientX, event.clientY);
    if (state.tool === "note" || state.tool === "freetext") {
      // Opened on the click that follows: iPad Safari shows the keyboard only for a focus made there.
      placing = { pv: started.pv, point, tool: state.tool };
      return;
    }
    select(hitTest(started.pv, point));
  };
  pagesEl.addEventListener("click", () => {
    if (!placing) return;
    const { pv, point, tool } = placing;
    placing = null;
    openEditor(tool, pv, point);
  });
  pagesEl.addEventListener("pointerup", finish);
  pagesEl.addEventListener("pointercancel", finish);
  // iPad: the Pencil and a finger both send touches; with "pen only" the Pencil must not scroll.
  pagesEl.addEventListener(
    "touchstart",
    (event) => {
      if (state.tool !== "ink") return;
      const stylus = Array.from(event.touches).some((touch) => touch.touchType === "stylus");
      if (stylus || !state.penOnly) event.preventDefault();
    },
    { passive: false },
  );
  document.addEventListener("selectionchange", () => {
    const range = liveRange();
    if (range) state.lastRange = range.cloneRange();
  });
  scroller.addEventListener("pointerdown", (event) => {
    if (!event.target.closest(".vw-editor")) state.lastRange = null;
  });
  document.addEventListener("pointerdown", (event) => {
    const palette = $("vw-palette");
    if (!palette.hidden && !event.target.closest("#vw-palette, #vw-color")) palette.hidden = true;
  });
}

// --- live updates from the reader's other devices ------------------------------------------------------

let lastFetch = 0;

async function refetch() {
  if (performance.now() - lastFetch < 1500) return;
  lastFetch = performance.now();
  try {
    const list = await request("GET", `${config.annotationsUrl}?version=${config.version}`);
    reconcile(list);
  } catch (err) {
    console.warn("annotations not refreshed", err);
  }
  wakeQueue();
}

function onLiveEvent(event) {
  if (event?.type !== "annotation.changed") return;
  const { action, document_id: documentId, annotation } = event.data || {};
  if (documentId !== config.documentId || annotation?.version !== config.version) return;
  const rec = findRecord(annotation);
  if (rec?.pending) return; // our own change, coming back: the queue has the last word
  if (action === "deleted") {
    if (rec) forget(rec);
  } else if (rec) {
    Object.assign(rec, fromServer(annotation));
    draw(rec);
  } else {
    addFromServer(annotation);
  }
}

function connectLive() {
  // Without a socket (no client script, a proxy that drops websockets) the viewer works all the same:
  // it asks for the list again whenever the page comes back into view.
  if (typeof window.io !== "function") return;
  try {
    const socket = window.io({ path: config.socketPath, transports: ["websocket", "polling"], reconnectionDelayMax: 30000 });
    socket.on("event", onLiveEvent);
    let connectedBefore = false;
    socket.on("connect", () => {
      if (connectedBefore) refetch(); // what changed while we were away
      connectedBefore = true;
    });
    socket.on("connect_error", (error) => {
      if (error?.data?.code === "device_wiped") {
        socket.close();
        window.ecabinet.wiped();
      }
    });
    window.ecabinetViewer.socket = socket;
  } catch (err) {
    console.info("live updates unavailable", err);
  }
}

// --- start ---------------------------------------------------------------------------------------------

function buildPages() {
  const boxes = config.pageBoxes || [];
  const fragment = document.createDocumentFragment();
  for (let n = 1; n <= config.pageCount; n += 1) {
    const pv = new PageView(n, boxes[n - 1]);
    state.pages.push(pv);
    fragment.appendChild(pv.div);
  }
  pagesEl.appendChild(fragment);
}

async function start() {
  buildPages();
  wireToolbar();
  wirePages();
  setZoom(0, true);
  goToPage(config.startPage);
  for (const pv of state.pages) observer.observe(pv.div);
  scroller.addEventListener("scroll", onScroll, { passive: true });
  checkOutbox(); // opened offline over changes that still wait to be sent

  const annotations = request("GET", `${config.annotationsUrl}?version=${config.version}`).then(
    (list) => {
      reconcile(list);
      applyCarried();
    },
    (err) => console.warn("annotations not loaded", err),
  );
  try {
    state.pdf = await pdfjs.getDocument({
      url: config.fileUrl,
      withCredentials: true,
      cMapUrl: new URL("cmaps/", VENDOR).href,
      cMapPacked: true,
      standardFontDataUrl: new URL("standard_fonts/", VENDOR).href,
      wasmUrl: new URL("wasm/", VENDOR).href,
      iccUrl: new URL("iccs/", VENDOR).href,
      isEvalSupported: false,
      enableXfa: false,
    }).promise;
  } catch (err) {
    console.error(err);
    root.dataset.state = "failed";
    $("vw-loading").textContent = t("loadFailed");
    return;
  }
  root.dataset.state = "ready";
  $("vw-loading").hidden = true;
  pump();
  await annotations;
  root.dataset.annotations = "loaded";

  let resizeTimer = 0;
  window.addEventListener("resize", () => {
    clearTimeout(resizeTimer);
    resizeTimer = setTimeout(() => state.fit && setZoom(0, true), 150);
  });
  window.addEventListener("focus", refetch);
  document.addEventListener("visibilitychange", () => document.visibilityState === "visible" && refetch());
  window.addEventListener("online", wakeQueue);
  window.addEventListener("beforeunload", (event) => {
    if (!queue.length || window.ecabinet.isWiped()) return;
    event.preventDefault();
    event.returnValue = t("leaveUnsaved");
  });
  connectLive();
}

start();
