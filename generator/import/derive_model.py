"""Derives model/xenapi.json (names, types, qualifiers, params, results, errors, async flags,
lifecycle states; no prose) from an upstream data-model folder. Interim: to be replaced by
`xenapi-gen import`."""
import csv, json, sys

src, out = sys.argv[1], sys.argv[2]
upstream = json.load(open(f"{src}/xenapi.json"))
asyncs = {}
for row in open(f"{src}/async.tsv"):
    if row.startswith("#"):
        continue
    cls, msg, kind, _ = row.rstrip("\n").split("\t")
    asyncs[(cls, msg)] = kind == "async"

def state(lc):
    return lc["state"].removesuffix("_s").lower()

enums = {}
classes = []
for c in upstream:
    for e in c["enums"]:
        values = [v["name"] for v in e["values"]]
        if enums.setdefault(e["name"], values) != values:
            raise SystemExit(f"enum {e['name']} defined twice with different values")
    fields = []
    for f in c["fields"]:
        d = {"name": f["name"], "type": f["type"], "qualifier": f["qualifier"], "lifecycle": state(f["lifecycle"])}
        if "default" in f:
            d["default"] = f["default"]
        fields.append(d)
    messages = []
    for m in c["messages"]:
        params = m["params"]
        session = bool(params) and params[0]["type"] == "session ref" and params[0]["name"] == "session_id"
        if session:
            params = params[1:]
        messages.append({
            "name": m["name"],
            "implicit": m["implicit"],
            "session": session,
            "async": asyncs[(c["name"], m["name"])],
            "lifecycle": state(m["lifecycle"]),
            "params": [{"name": p["name"], "type": p["type"], "required": p["required"]} for p in params],
            "result": m["result"][0],
            "errors": [e["name"] for e in m["errors"]],
        })
    classes.append({"name": c["name"], "lifecycle": state(c["lifecycle"]), "fields": fields, "messages": messages})

def line(obj):
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)

with open(out, "w") as o:
    o.write('{"api_version":[2,23],\n"enums":[\n')
    o.write(",\n".join(line({"name": n, "values": v}) for n, v in sorted(enums.items())))
    o.write('\n],\n"classes":[\n')
    for i, c in enumerate(classes):
        o.write(line({"name": c["name"], "lifecycle": c["lifecycle"]})[:-1] + ',\n"fields":[\n')
        o.write(",\n".join(line(f) for f in c["fields"]))
        o.write('\n],\n"messages":[\n')
        o.write(",\n".join(line(m) for m in c["messages"]))
        o.write("\n]}" + (",\n" if i + 1 < len(classes) else "\n"))
    o.write("]}\n")
