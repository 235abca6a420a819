// node validate.mjs FILE...
//
// Every document of every YAML file must be a Kubernetes object that kubectl would accept:
// - valid against the API schema of its apiVersion and kind, from the npm packages
//   kubernetes-models (built-in kinds) and @kubernetes-models/prometheus-operator
//   (monitoring.coreos.com): types, required fields, enums, formats;
// - with no field the schema does not know, as `kubectl apply --validate=strict` (the
//   default since Kubernetes 1.27) rejects it. kubernetes-models' schemas allow unknown
//   fields, so a typo such as `mountPropogation` would pass them silently. The validator is
//   compiled code that reads every field the schema knows (`data.hostPID`) and lists the
//   keys only of maps (labels, annotations); it runs here on proxies that record both, and
//   a key of a non-map object it never read is a field the schema does not have.
// Prints "ok FILE: N objects (Kind/name, ...)" per file, or one line per problem; exit 1 if any.
import { readFileSync } from "node:fs";
import { parseAllDocuments } from "yaml";

// apiVersion -> module that exports a model class per kind.
function moduleFor(apiVersion) {
	if (apiVersion.startsWith("monitoring.coreos.com/"))
		return `@kubernetes-models/prometheus-operator/${apiVersion}`;
	return `kubernetes-models/${apiVersion}`;
}

// A deep copy of DATA made of proxies that record, per object, the keys read and whether its
// keys were listed. RECORDS gets one {path, keys, read, listed} per object.
function tracked(data, path, records) {
	if (Array.isArray(data)) return data.map((v, i) => tracked(v, `${path}[${i}]`, records));
	if (data === null || typeof data !== "object") return data;
	const rec = { path, keys: Object.keys(data), read: new Set(), listed: false };
	records.push(rec);
	const copy = {};
	for (const k of rec.keys) copy[k] = tracked(data[k], path ? `${path}.${k}` : k, records);
	return new Proxy(copy, {
		get(t, k, r) {
			if (typeof k === "string") rec.read.add(k);
			return Reflect.get(t, k, r);
		},
		has(t, k) {
			if (typeof k === "string") rec.read.add(k);
			return Reflect.has(t, k);
		},
		ownKeys(t) {
			rec.listed = true;
			return Reflect.ownKeys(t);
		},
	});
}

async function check(doc, where) {
	const problems = [];
	if (doc === null || typeof doc !== "object" || Array.isArray(doc))
		return [`${where}: not an object`];
	const { apiVersion, kind } = doc;
	if (typeof apiVersion !== "string" || typeof kind !== "string")
		return [`${where}: no apiVersion or kind`];
	let Model;
	try {
		Model = (await import(moduleFor(apiVersion)))[kind];
	} catch {
		Model = undefined;
	}
	if (typeof Model !== "function" || typeof Model.prototype.validate !== "function")
		return [`${where}: unknown kind ${kind} of apiVersion ${apiVersion}`];
	const name = `${kind}/${doc.metadata?.name ?? "(no name)"}`;
	const records = [];
	const proxy = tracked(new Model(doc).toJSON(), "", records);
	try {
		Model.prototype.validate.call(proxy);
	} catch (e) {
		problems.push(`${where}: ${name}: ${e.message}`);
	}
	for (const rec of records) {
		if (rec.listed) continue;
		for (const k of rec.keys)
			if (!rec.read.has(k))
				problems.push(`${where}: ${name}: unknown field "${rec.path ? rec.path + "." : ""}${k}"`);
	}
	return problems.length ? problems : name;
}

let failed = false;
for (const file of process.argv.slice(2)) {
	const names = [];
	let fileFailed = false;
	const docs = parseAllDocuments(readFileSync(file, "utf8"));
	let n = 0;
	for (const d of docs) {
		n++;
		const where = `${file}: document ${n}`;
		if (d.errors.length) {
			console.log(`${where}: YAML: ${d.errors[0].message.split("\n")[0]}`);
			fileFailed = true;
			continue;
		}
		const js = d.toJS({ maxAliasCount: 100 });
		if (js === null) continue; // an empty document (a trailing ---)
		const r = await check(js, where);
		if (Array.isArray(r)) {
			r.forEach((p) => console.log(p));
			fileFailed = true;
		} else names.push(r);
	}
	if (!names.length && !fileFailed) {
		console.log(`${file}: no Kubernetes object`);
		fileFailed = true;
	}
	if (!fileFailed) console.log(`ok ${file}: ${names.length} objects (${names.join(", ")})`);
	failed ||= fileFailed;
}
process.exit(failed ? 1 : 0);
