// SPDX-License-Identifier: MIT
// Run the models of make_models.c in onnxruntime and compare the outputs with
// the values computed in C (or, for a case with a "reference" model, with what
// onnxruntime computes from that model on the same inputs).
//
//   node tests/ort/run.js DIR        (DIR holds cases.json and the models)
//
// onnxruntime-node is installed in tests/ort/node_modules by tools/setup
// (npm ci --ignore-scripts: the CPU build ships in the package).
'use strict';
const fs = require('fs');
const path = require('path');

let ort;
try {
	ort = require('onnxruntime-node');
} catch (e) {
	console.error('run.js: onnxruntime-node is not installed: run tools/setup ' +
		'(or npm ci --ignore-scripts --prefix tests/ort)');
	process.exit(1);
}

function tensorOf(spec) {
	if (spec.type === 'float32')
		return new ort.Tensor('float32', Float32Array.from(spec.data), spec.dims);
	if (spec.type === 'bool')
		return new ort.Tensor('bool', Uint8Array.from(spec.data.map((v) => (v ? 1 : 0))), spec.dims);
	throw new Error('unknown input type ' + spec.type);
}

function compare(name, got, want, atol) {
	const gd = Array.from(got.dims), wd = Array.from(want.dims);
	if (JSON.stringify(gd) !== JSON.stringify(wd))
		return `${name}: dims ${JSON.stringify(gd)}, expected ${JSON.stringify(wd)}`;
	let worst = 0, at = -1;
	for (let i = 0; i < want.data.length; i++) {
		const d = Math.abs(got.data[i] - want.data[i]);
		if (!(d <= worst)) { // NaN counts as worst
			worst = d;
			at = i;
		}
	}
	if (!(worst <= atol))
		return `${name}: max abs diff ${worst} at ${at} (got ${got.data[at]}, expected ${want.data[at]}), atol ${atol}`;
	return null;
}

async function main() {
	const dir = process.argv[2];
	if (!dir) {
		console.error('usage: node run.js DIR');
		process.exit(2);
	}
	const cases = JSON.parse(fs.readFileSync(path.join(dir, 'cases.json'), 'utf8'));
	const sessions = new Map();
	const session = async (file) => {
		if (!sessions.has(file))
			sessions.set(file, await ort.InferenceSession.create(file));
		return sessions.get(file);
	};
	let failed = 0;
	for (const c of cases) {
		const problems = [];
		try {
			const s = await session(path.join(dir, c.model));
			const feeds = {};
			for (const [name, spec] of Object.entries(c.inputs))
				feeds[name] = tensorOf(spec);
			const out = await s.run(feeds);
			let want = c.expected;
			if (c.reference) {
				const ref = await (await session(c.reference)).run(feeds);
				want = {};
				for (const [name, t] of Object.entries(ref))
					want[name] = { dims: t.dims, data: Array.from(t.data) };
			}
			if (Object.keys(want).length === 0)
				problems.push('no expected outputs');
			for (const [name, w] of Object.entries(want)) {
				if (!out[name]) {
					problems.push(`${name}: missing from the outputs`);
					continue;
				}
				const p = compare(name, out[name], w, c.atol);
				if (p)
					problems.push(p);
			}
		} catch (e) {
			problems.push(String(e.message || e).split('\n')[0]);
		}
		if (problems.length) {
			failed++;
			console.log(`FAIL ${c.name}: ${problems.join('; ')}`);
		} else {
			console.log(`ok   ${c.name}`);
		}
	}
	console.log(`${cases.length - failed}/${cases.length} cases match onnxruntime ${ort.env.versions ? ort.env.versions.common || '' : ''}`);
	process.exit(failed ? 1 : 0);
}

main().catch((e) => {
	console.error(e);
	process.exit(1);
});
