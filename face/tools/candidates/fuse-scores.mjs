#!/usr/bin/env node
// Score-level fusion check (issue #17 item 3): does the mean of today's score and a candidate's,
// each normalised, reach JT/T 1302.1's target on both sets when everything (normalisation and
// threshold) is fitted on one set and applied to the other?
//
//   node fuse-scores.mjs --today-att att.csv --today-lfw lfw.csv \
//        --cand-att out/att-faceres.csv --cand-lfw out/lfw-faceres.csv [--label faceres] \
//        [--far-att 0.0001] [--far-lfw 0.001] [--frr 0.01] [--json out/fusion-faceres.json]
//
// Both CSVs are face-eval --scores files (a,b,same,score,...); pairs are joined on
// identity/file of both images, order ignored, and only pairs that both models scored count
// (today's refuses images its quality gates reject and leaves their score empty, a candidate
// those its detector misses).
// Normalisations, each fitted on the fitting set's joined pairs:
//   z:      (s - mean of the impostor scores) / their standard deviation (impostor z-norm)
//   minmax: (s - min) / (max - min) over all its scores
// The fused score is the mean of the two normalised scores. The threshold is the lowest with
// FAR <= the fitting set's target FAR on the fitting set; it is then applied unchanged to both.

import fs from 'node:fs';
import path from 'node:path';
import { thresholdForFar, thresholdForFrr } from './eval-candidates.mjs';

function args() {
  const a = { farAtt: 0.0001, farLfw: 0.001, frr: 0.01, label: 'candidate' };
  const v = process.argv.slice(2);
  for (let i = 0; i < v.length; i++) {
    const k = v[i], x = () => v[++i];
    if (k === '--today-att') a.todayAtt = x();
    else if (k === '--today-lfw') a.todayLfw = x();
    else if (k === '--cand-att') a.candAtt = x();
    else if (k === '--cand-lfw') a.candLfw = x();
    else if (k === '--label') a.label = x();
    else if (k === '--far-att') a.farAtt = Number(x());
    else if (k === '--far-lfw') a.farLfw = Number(x());
    else if (k === '--frr') a.frr = Number(x());
    else if (k === '--json') a.json = x();
    else throw new Error(`unknown argument ${k}`);
  }
  for (const k of ['todayAtt', 'todayLfw', 'candAtt', 'candLfw']) if (!a[k]) throw new Error(`--${k.replace(/[A-Z]/g, (c) => '-' + c.toLowerCase())} is required`);
  return a;
}

const key = (p) => path.basename(path.dirname(p)) + '/' + path.basename(p);
function readScores(file) {
  const lines = fs.readFileSync(file, 'utf8').trim().split('\n');
  const head = lines[0].split(',');
  const ia = head.indexOf('a'), ib = head.indexOf('b'), is = head.indexOf('same'), isc = head.indexOf('score');
  if ([ia, ib, is, isc].includes(-1)) throw new Error(`${file}: needs columns a,b,same,score`);
  const m = new Map();
  for (const line of lines.slice(1)) {
    const f = line.split(',');
    if (f[isc] === '' || !Number.isFinite(Number(f[isc]))) continue; // a refused image: no score
    const ka = key(f[ia]), kb = key(f[ib]);
    m.set(ka < kb ? `${ka}|${kb}` : `${kb}|${ka}`, { same: f[is] === '1', score: Number(f[isc]) });
  }
  return m;
}
function join(today, cand) {
  const out = [];
  for (const [k, t] of today) {
    const c = cand.get(k);
    if (!c) continue;
    if (c.same !== t.same) throw new Error(`${k}: genuine/impostor label differs between the files`);
    out.push({ same: t.same, s: [t.score, c.score] });
  }
  return out;
}

const mean = (v) => v.reduce((x, y) => x + y, 0) / v.length;
const sd = (v) => { const m = mean(v); return Math.sqrt(v.reduce((x, y) => x + (y - m) ** 2, 0) / (v.length - 1)); };
function fit(pairs, kind) {
  return [0, 1].map((j) => {
    if (kind === 'z') { const imp = pairs.filter((p) => !p.same).map((p) => p.s[j]); return { a: mean(imp), b: sd(imp) }; }
    let lo = Infinity, hi = -Infinity;
    for (const p of pairs) { lo = Math.min(lo, p.s[j]); hi = Math.max(hi, p.s[j]); }
    return { a: lo, b: hi - lo };
  });
}
const fused = (p, prm) => ((p.s[0] - prm[0].a) / prm[0].b + (p.s[1] - prm[1].a) / prm[1].b) / 2;

function rates(pairs, score, t) {
  const gen = pairs.filter((p) => p.same).map(score), imp = pairs.filter((p) => !p.same).map(score);
  const fa = imp.filter((s) => s >= t).length, fr = gen.filter((s) => s < t).length;
  return { far: fa / imp.length, frr: fr / gen.length, false_accepts: fa, false_rejects: fr, impostor: imp.length, genuine: gen.length };
}
function split(pairs, score) {
  return { gen: pairs.filter((p) => p.same).map(score), imp: pairs.filter((p) => !p.same).map(score) };
}

function main() {
  const a = args();
  const sets = {
    att: { pairs: join(readScores(a.todayAtt), readScores(a.candAtt)), far: a.farAtt },
    lfw: { pairs: join(readScores(a.todayLfw), readScores(a.candLfw)), far: a.farLfw },
  };
  const met = (r, far) => r.far <= far && r.frr <= a.frr;
  const report = { label: a.label, target: { att_far: a.farAtt, lfw_far: a.farLfw, frr: a.frr }, joined_pairs: {}, results: [] };
  for (const [n, s] of Object.entries(sets)) report.joined_pairs[n] = { genuine: s.pairs.filter((p) => p.same).length, impostor: s.pairs.filter((p) => !p.same).length };
  const scorers = [
    { name: 'today', mk: () => (p) => p.s[0] },
    { name: a.label, mk: () => (p) => p.s[1] },
    { name: `mean of z-norm (today, ${a.label})`, mk: (fs_) => { const prm = fit(fs_, 'z'); return (p) => fused(p, prm); } },
    { name: `mean of min-max (today, ${a.label})`, mk: (fs_) => { const prm = fit(fs_, 'minmax'); return (p) => fused(p, prm); } },
  ];
  for (const sc of scorers) {
    for (const fitOn of ['att', 'lfw']) {
      const F = sets[fitOn];
      const score = sc.mk(F.pairs);
      const { gen, imp } = split(F.pairs, score);
      const t = thresholdForFar(gen, imp, F.far).threshold;
      const row = { scorer: sc.name, fitted_on: fitOn, threshold: t };
      for (const [n, s] of Object.entries(sets)) {
        const r = rates(s.pairs, score, t);
        row[n] = { ...r, target_met: met(r, s.far) };
        // The same normalisation with the threshold fitted on this set itself (in-sample): the best it can do here.
        const g = split(s.pairs, score);
        const own = thresholdForFar(g.gen, g.imp, s.far);
        row[n].own_threshold = { threshold: own.threshold, far: own.far, frr: own.frr, target_met: own.frr <= a.frr };
        const ownFrr = thresholdForFrr(g.gen, g.imp, a.frr);
        row[n].own_threshold_frr = { threshold: ownFrr.threshold, far: ownFrr.far, frr: ownFrr.frr };
      }
      // Is there any one threshold that meets both sets' targets with this normalisation?
      const lo = Math.max(...Object.values(sets).map((s) => { const g = split(s.pairs, score); return thresholdForFar(g.gen, g.imp, s.far).threshold; }));
      const hi = Math.min(...Object.values(sets).map((s) => { const g = split(s.pairs, score); return thresholdForFrr(g.gen, g.imp, a.frr).threshold; }));
      row.one_threshold_for_both = { exists: lo <= hi, lowest_for_far: lo, highest_for_frr: hi };
      row.both_met = row.att.target_met && row.lfw.target_met;
      report.results.push(row);
    }
  }
  const pct = (x) => (x * 100).toFixed(3) + ' %';
  console.log(`joined pairs: AT&T ${report.joined_pairs.att.genuine} genuine / ${report.joined_pairs.att.impostor} impostor, LFW ${report.joined_pairs.lfw.genuine} / ${report.joined_pairs.lfw.impostor}`);
  for (const r of report.results) {
    console.log(`${r.scorer.padEnd(40)} fitted on ${r.fitted_on}: t=${r.threshold.toFixed(4)}  AT&T FAR ${pct(r.att.far)} FRR ${pct(r.att.frr)}${r.att.target_met ? ' (met)' : ''}  LFW FAR ${pct(r.lfw.far)} FRR ${pct(r.lfw.frr)}${r.lfw.target_met ? ' (met)' : ''}  | in-sample FRR at target FAR: AT&T ${pct(r.att.own_threshold.frr)} LFW ${pct(r.lfw.own_threshold.frr)} | one threshold for both: ${r.one_threshold_for_both.exists ? 'yes' : 'no'}`);
  }
  if (a.json) fs.writeFileSync(a.json, JSON.stringify(report, null, 2) + '\n');
}

main();
