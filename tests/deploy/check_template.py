#!/usr/bin/env python3
"""Checks deploy/template.yaml.

  check_template.py spec TEMPLATE SPEC_DB      every resource type, property name (nested
                                               too), required property, GetAtt attribute,
                                               Ref/Sub/Condition/DependsOn target against the
                                               CloudFormation resource specification
                                               (@aws-cdk/aws-service-spec's db.json.gz)
  check_template.py iam TEMPLATE CALLS_HEADER  the function's role allows exactly the IAM
                                               actions of kAwsApiCalls (src/actions/aws_api_calls.h)
  check_template.py s3 TEMPLATE                S3 actions only on prefixed resources, never "*";
                                               ListBucket only with an s3:prefix condition
  check_template.py notification TEMPLATE      no bucket notification can cover the state prefix

Exit 0: passed; 1: failed (each problem printed); 77: skipped (a missing tool, outside CI).
"""
import gzip
import json
import os
import re
import string
import sys

try:
    import yaml
except ImportError:  # pragma: no cover
    if os.environ.get("CI") == "true":
        print("CI=true but python3-yaml is missing (apt-get install python3-yaml)")
        sys.exit(1)
    print("SKIP: python3-yaml not installed (apt-get install python3-yaml)")
    sys.exit(77)

PSEUDO = {"AWS::AccountId", "AWS::NotificationARNs", "AWS::NoValue", "AWS::Partition",
          "AWS::Region", "AWS::StackId", "AWS::StackName", "AWS::URLSuffix"}
RESOURCE_KEYS = {"Type", "Properties", "DependsOn", "Condition", "DeletionPolicy",
                 "UpdateReplacePolicy", "Metadata", "CreationPolicy", "UpdatePolicy"}
TOP_KEYS = {"AWSTemplateFormatVersion", "Description", "Metadata", "Parameters", "Rules",
            "Mappings", "Conditions", "Resources", "Outputs"}


# ---- A YAML loader that understands CloudFormation's short-form tags. ----

class CfnLoader(yaml.SafeLoader):
    pass


def _construct(loader, tag_suffix, node):
    if isinstance(node, yaml.ScalarNode):
        value = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)
    if tag_suffix == "Ref":
        return {"Ref": value}
    if tag_suffix == "Condition":
        return {"Condition": value}
    if tag_suffix == "GetAtt" and isinstance(value, str):
        return {"Fn::GetAtt": value.split(".", 1)}
    return {"Fn::" + tag_suffix: value}


CfnLoader.add_multi_constructor("!", _construct)


def load_template(path):
    with open(path) as f:
        return yaml.load(f, Loader=CfnLoader)


def intrinsic(value):
    """The intrinsic function's name if `value` is one, else None."""
    if isinstance(value, dict) and len(value) == 1:
        (k,) = value
        if k == "Ref" or k == "Condition" or k.startswith("Fn::"):
            return k
    return None


def branches(value):
    """The values `value` may take once every Fn::If is decided (NoValue dropped)."""
    if intrinsic(value) == "Fn::If":
        out = []
        for v in value["Fn::If"][1:]:
            out.extend(branches(v))
        return out
    if value == {"Ref": "AWS::NoValue"}:
        return []
    return [value]


def expand_list(value):
    """A list property's items, with Fn::If items expanded."""
    items = []
    for v in value if isinstance(value, list) else branches(value):
        if isinstance(v, list):
            items.extend(expand_list(v))
        else:
            items.extend(branches(v))
    return items


# ---- spec ----

class Spec:
    def __init__(self, path):
        with gzip.open(path) as f:
            schema = json.load(f)["schema"]
        self.resources = {r["cloudFormationType"]: r for r in schema["resource"]["entities"]}
        self.types = {t["$id"]: t for t in schema["typeDefinition"]["entities"]}


def check_value(spec, value, typ, where, problems):
    """Checks a property value against a spec type; intrinsics are accepted as any type."""
    kind = typ["type"]
    if intrinsic(value) == "Fn::If":
        for v in branches(value):
            check_value(spec, v, typ, where, problems)
        return
    if intrinsic(value) is not None:
        return
    if kind == "union":
        trial = []
        for t in typ["types"]:
            p = []
            check_value(spec, value, t, where, p)
            if not p:
                return
            trial.append(p)
        problems.append("%s: fits none of the allowed types (%s)" % (where, trial[0][0]))
    elif kind in ("json",):
        return
    elif kind == "string":
        if not isinstance(value, (str, int, float)) or isinstance(value, bool):
            problems.append("%s: expected a string, got %r" % (where, value))
    elif kind in ("integer", "number"):
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)) or \
            (isinstance(value, str) and re.fullmatch(r"-?\d+(\.\d+)?", value))
        if not ok:
            problems.append("%s: expected a number, got %r" % (where, value))
    elif kind == "boolean":
        if not (isinstance(value, bool) or value in ("true", "false")):
            problems.append("%s: expected a boolean, got %r" % (where, value))
    elif kind == "array":
        if not isinstance(value, list):
            problems.append("%s: expected a list, got %r" % (where, value))
            return
        for i, v in enumerate(value):
            if intrinsic(v) == "Fn::If" or intrinsic(v) is None:
                for b in branches(v):
                    check_value(spec, b, typ["element"], "%s[%d]" % (where, i), problems)
    elif kind == "map":
        if not isinstance(value, dict):
            problems.append("%s: expected a map, got %r" % (where, value))
            return
        for k, v in value.items():
            check_value(spec, v, typ["element"], "%s.%s" % (where, k), problems)
    elif kind == "tag":
        if not isinstance(value, list) or any(not isinstance(t, dict) or set(t) != {"Key", "Value"}
                                              for t in value):
            problems.append("%s: expected a list of {Key, Value}" % where)
    elif kind == "ref":
        definition = spec.types[typ["reference"]["$ref"]]
        check_properties(spec, value, definition["properties"], where, problems)
    else:
        problems.append("%s: the checker does not know spec type %s" % (where, kind))


def check_properties(spec, props, defined, where, problems):
    if not isinstance(props, dict):
        problems.append("%s: expected an object, got %r" % (where, props))
        return
    for name, value in props.items():
        if name not in defined:
            problems.append("%s: unknown property %s (known: %s)"
                            % (where, name, ", ".join(sorted(defined))))
            continue
        check_value(spec, value, defined[name]["type"], where + "." + name, problems)
    for name, d in defined.items():
        if d.get("required") and name not in props:
            problems.append("%s: required property %s is missing" % (where, name))


def walk(value, visit):
    visit(value)
    if isinstance(value, dict):
        for v in value.values():
            walk(v, visit)
    elif isinstance(value, list):
        for v in value:
            walk(v, visit)


_SPECS = {}


def check_spec(template, spec_path):
    if spec_path not in _SPECS:
        _SPECS[spec_path] = Spec(spec_path)
    spec = _SPECS[spec_path]
    problems = []
    for k in template:
        if k not in TOP_KEYS:
            problems.append("top-level key %s is not a template section (no transforms: %s)"
                            % (k, k == "Transform"))
    params = set(template.get("Parameters", {}))
    resources = template["Resources"]
    conditions = set(template.get("Conditions", {}))
    for name, res in resources.items():
        where = "Resources.%s" % name
        for k in res:
            if k not in RESOURCE_KEYS:
                problems.append("%s: unknown resource attribute %s" % (where, k))
        rtype = res.get("Type")
        if rtype not in spec.resources:
            problems.append("%s: unknown resource type %s" % (where, rtype))
            continue
        check_properties(spec, res.get("Properties", {}), spec.resources[rtype]["properties"],
                         where + ".Properties", problems)
        if "Condition" in res and res["Condition"] not in conditions:
            problems.append("%s: unknown condition %s" % (where, res["Condition"]))
        deps = res.get("DependsOn", [])
        for d in [deps] if isinstance(deps, str) else deps:
            if d not in resources:
                problems.append("%s: DependsOn unknown resource %s" % (where, d))

    def refs(value, where):
        def visit(v):
            f = intrinsic(v)
            if f == "Ref" and v["Ref"] not in params | set(resources) | PSEUDO:
                problems.append("%s: Ref to unknown %s" % (where, v["Ref"]))
            elif f == "Fn::GetAtt":
                res_name, attr = v["Fn::GetAtt"]
                if res_name not in resources:
                    problems.append("%s: GetAtt of unknown resource %s" % (where, res_name))
                else:
                    rtype = resources[res_name]["Type"]
                    attrs = spec.resources.get(rtype, {}).get("attributes", {})
                    if attr not in attrs:
                        problems.append("%s: %s has no attribute %s (has: %s)"
                                        % (where, rtype, attr, ", ".join(sorted(attrs))))
            elif f in ("Condition",) and v["Condition"] not in conditions:
                problems.append("%s: unknown condition %s" % (where, v["Condition"]))
            elif f == "Fn::If" and v["Fn::If"][0] not in conditions:
                problems.append("%s: Fn::If on unknown condition %s" % (where, v["Fn::If"][0]))
            elif f == "Fn::Sub":
                arg = v["Fn::Sub"]
                text, local = (arg, {}) if isinstance(arg, str) else (arg[0], arg[1])
                for var in re.findall(r"\$\{([^!}][^}]*)\}", text):
                    base = var.split(".", 1)[0]
                    if var not in PSEUDO and base not in params | set(resources) | set(local):
                        problems.append("%s: Sub variable ${%s} is unknown" % (where, var))
        walk(value, visit)

    for section in ("Resources", "Outputs", "Conditions"):
        for name, body in template.get(section, {}).items():
            refs(body, "%s.%s" % (section, name))
            if section == "Outputs" and "Condition" in body and body["Condition"] not in conditions:
                problems.append("Outputs.%s: unknown condition %s" % (name, body["Condition"]))
    return problems


# ---- iam ----

CALL_RE = re.compile(r'^\s*\{"([a-z0-9-]+:[A-Za-z0-9]+)", "([^"]*)", "([^"]*)"\},\s*$')


def read_calls(header_path):
    calls = []
    with open(header_path) as f:
        text = f.read()
    body = text[text.index("kAwsApiCalls[] = {"):]
    body = body[:body.index("};")]
    for line in body.splitlines()[1:]:
        m = CALL_RE.match(line)
        if m:
            calls.append(m.groups())
        elif line.strip() and not line.strip().startswith("//"):
            raise SystemExit("cannot read this kAwsApiCalls line: %r" % line)
    return calls


def function_role(template):
    resources = template["Resources"]
    functions = [r for r in resources.values() if r["Type"] == "AWS::Lambda::Function"]
    if len(functions) != 1:
        raise SystemExit("expected one AWS::Lambda::Function, found %d" % len(functions))
    role_ref = functions[0]["Properties"]["Role"]
    if intrinsic(role_ref) != "Fn::GetAtt" or role_ref["Fn::GetAtt"][1] != "Arn":
        raise SystemExit("the function's Role must be !GetAtt <role>.Arn of a role in the template")
    return resources[role_ref["Fn::GetAtt"][0]]


def statements(role):
    """Every statement of the role's inline policies, with the condition guarding it (or None)."""
    out = []
    if role["Properties"].get("ManagedPolicyArns"):
        raise SystemExit("the role has managed policies: their actions cannot be checked here")
    for policy in role["Properties"].get("Policies", []):
        for s in policy["PolicyDocument"]["Statement"]:
            if intrinsic(s) == "Fn::If":
                cond, yes, no = s["Fn::If"]
                for st, guard in ((yes, cond), (no, "!" + cond)):
                    if st != {"Ref": "AWS::NoValue"}:
                        out.append((st, guard))
            else:
                out.append((s, None))
    return out


def as_list(v):
    return v if isinstance(v, list) else [v]


def check_iam(template, header_path):
    problems = []
    calls = read_calls(header_path)
    wanted = {c[0] for c in calls}
    allowed = set()
    for st, _ in statements(function_role(template)):
        if st.get("Effect") != "Allow":
            continue
        if "NotAction" in st or "NotResource" in st:
            problems.append("statement %s uses NotAction/NotResource" % st.get("Sid"))
        for a in as_list(st["Action"]):
            if "*" in a:
                problems.append("statement %s allows the wildcard action %s" % (st.get("Sid"), a))
            allowed.add(a)
    for a in sorted(allowed - wanted):
        problems.append("the role allows %s, which the code never calls (not in kAwsApiCalls)" % a)
    for a in sorted(wanted - allowed):
        callers = ", ".join(c[2] for c in calls if c[0] == a)
        problems.append("the role lacks %s, which the %s calls" % (a, callers))
    if not calls:
        problems.append("kAwsApiCalls is empty: the header could not be read")
    return problems


# ---- s3 ----

def sub_text(value):
    """The template string of a resource: a literal, or Fn::Sub's first argument."""
    if isinstance(value, str):
        return value
    if intrinsic(value) == "Fn::Sub":
        arg = value["Fn::Sub"]
        return arg if isinstance(arg, str) else arg[0]
    return None


def nonempty_param(template, name, guard):
    """True if parameter `name` cannot be empty where the statement applies."""
    p = template.get("Parameters", {}).get(name)
    if p is None:
        return False
    pattern = p.get("AllowedPattern")
    if pattern is not None and not re.fullmatch(pattern, ""):
        return True
    if guard is not None and not guard.startswith("!"):
        cond = template["Conditions"][guard]
        return cond == {"Fn::Not": [{"Fn::Equals": [{"Ref": name}, ""]}]}
    return False


def check_s3(template):
    problems = []
    for st, guard in statements(function_role(template)):
        actions = [a for a in as_list(st["Action"]) if a.startswith("s3:")]
        if not actions:
            continue
        sid = st.get("Sid", "?")
        for r in as_list(st["Resource"]):
            text = sub_text(r)
            if r == "*" or text is None or text.strip() == "*":
                problems.append("statement %s: S3 actions on Resource %r" % (sid, r))
                continue
            if "s3:ListBucket" in actions:
                if not re.fullmatch(r"arn:\$\{AWS::Partition\}:s3:::\$\{\w+\}", text):
                    problems.append("statement %s: ListBucket on %r, not one bucket" % (sid, text))
                cond = st.get("Condition", {}).get("StringLike", {}).get("s3:prefix")
                if cond is None or sub_text(cond) is None or not sub_text(cond).endswith("}*") \
                        or sub_text(cond) == "*":
                    problems.append("statement %s: ListBucket without an s3:prefix condition" % sid)
                else:
                    var = re.fullmatch(r"\$\{(\w+)\}\*", sub_text(cond))
                    if not var or not nonempty_param(template, var.group(1), guard):
                        problems.append("statement %s: s3:prefix %r may be empty" % (sid, cond))
                if len(actions) > 1:
                    problems.append("statement %s: ListBucket shares a statement" % sid)
                continue
            m = re.fullmatch(r"arn:\$\{AWS::Partition\}:s3:::\$\{\w+\}/\$\{(\w+)\}\*", text)
            if not m:
                problems.append("statement %s: S3 object actions on %r: expected "
                                "arn:${AWS::Partition}:s3:::${Bucket}/${Prefix}*" % (sid, text))
            elif not nonempty_param(template, m.group(1), guard):
                problems.append("statement %s: prefix parameter %s may be empty there, which "
                                "would grant the whole bucket" % (sid, m.group(1)))
    return problems


# ---- notification ----

def first_chars(pattern, suffixes):
    """The characters a string matching `pattern` may start with (tried with each suffix)."""
    out = set()
    for c in string.printable + "\u00e9":
        if any(re.fullmatch(pattern, c + s) for s in suffixes):
            out.add(c)
    return out


def check_notification(template):
    problems = []
    params = template["Parameters"]
    state = params["StatePrefix"]
    state_pattern = state["AllowedPattern"]
    if not re.fullmatch(state_pattern, state["Default"]):
        problems.append("StatePrefix's default does not match its own pattern")
    state_first = first_chars(state_pattern, ["x/", "eventbarrier/", "/"])
    prefix_params = []
    for name, res in template["Resources"].items():
        if res["Type"] != "AWS::S3::Bucket":
            continue
        nc = res.get("Properties", {}).get("NotificationConfiguration")
        if nc is None:
            continue
        for key in ("QueueConfigurations", "TopicConfigurations"):
            if key in nc:
                problems.append("%s: %s would also send events elsewhere" % (name, key))
        configs = expand_list(nc.get("LambdaConfigurations", []))
        if not configs:
            problems.append("%s: no LambdaConfigurations" % name)
        for i, c in enumerate(configs):
            rules = expand_list(c.get("Filter", {}).get("S3Key", {}).get("Rules", []))
            prefixes = [r["Value"] for r in rules if r.get("Name", "").lower() == "prefix"]
            if len(prefixes) != 1:
                problems.append("%s notification %d: needs exactly one prefix rule (without one it "
                                "covers every key, the state prefix included)" % (name, i))
                continue
            p = prefixes[0]
            if isinstance(p, str):
                if p == "" or p.startswith(state["Default"]) or state["Default"].startswith(p) \
                        or p[0] in state_first:
                    problems.append("%s notification %d: prefix %r may cover the state prefix"
                                    % (name, i, p))
            elif intrinsic(p) == "Ref" and p["Ref"] in params:
                prefix_params.append(p["Ref"])
            else:
                problems.append("%s notification %d: prefix %r is neither a literal nor a "
                                "parameter" % (name, i, p))
    if not prefix_params and not problems:
        problems.append("no bucket notification found to check")
    for pname in prefix_params:
        p = params[pname]
        pattern = p.get("AllowedPattern")
        if pattern is None:
            problems.append("%s has no AllowedPattern: it could cover the state prefix" % pname)
            continue
        first = first_chars(pattern, ["", "x", "x/"])
        if re.fullmatch(pattern, ""):
            # An empty value is allowed only when it switches its notification off.
            guarded = any(c == {"Fn::Not": [{"Fn::Equals": [{"Ref": pname}, ""]}]}
                          for c in template["Conditions"].values())
            if not guarded:
                problems.append("%s may be empty, which covers every key" % pname)
        overlap = first & state_first
        if overlap:
            problems.append("%s may start with %s, as the state prefix may: it could cover it"
                            % (pname, sorted(overlap)))
        # The argument above, tried on concrete values.
        for value in [state["Default"], state["Default"][:1], state["Default"][:-1], "./", ".",
                      "", "*", ".eventbarrier/x"]:
            if value and re.fullmatch(pattern, value):
                problems.append("%s accepts %r, which covers or sits inside the state prefix"
                                % (pname, value))
    return problems


def check_dashboard(template, src_dir):
    """The dashboard's body is JSON once substituted, charts every metric the function
    emits as EMF (src/cli/lambda_function.cc) and every metric filter's metric, and each
    filter matches a message the engine logs."""
    problems = []
    res = template["Resources"]
    board = res.get("Dashboard")
    if not board or board.get("Type") != "AWS::CloudWatch::Dashboard":
        return ["no AWS::CloudWatch::Dashboard named Dashboard"]
    body = board["Properties"]["DashboardBody"]
    sub = body.get("Fn::Sub") if isinstance(body, dict) else None
    text = sub[0] if isinstance(sub, list) else sub
    if not isinstance(text, str):
        return ["DashboardBody must be a !Sub of a JSON text"]
    names = set(sub[1].keys()) if isinstance(sub, list) else set()
    for var in re.findall(r"\$\{([^}]+)\}", text):
        if var not in names and not var.startswith("AWS::"):
            problems.append("DashboardBody uses ${%s}, which the !Sub does not define" % var)
    try:
        parsed = json.loads(re.sub(r"\$\{[^}]+\}", "x", text))
    except ValueError as e:
        return problems + ["DashboardBody is not JSON: %s" % e]
    charted = set()
    for w in parsed.get("widgets", []):
        for m in w.get("properties", {}).get("metrics", []):
            charted.update(x for x in m if isinstance(x, str))
    with open(os.path.join(src_dir, "src/cli/lambda_function.cc")) as f:
        emitted = set(re.findall(r'\{"(\w+)", "(?:Count|Milliseconds)"', f.read()))
    if not emitted:
        problems.append("found no EMF metric in src/cli/lambda_function.cc")
    for m in sorted(emitted - charted):
        problems.append("EMF metric %s is not on the dashboard" % m)
    logged = ""
    for path in ("src/core/engine.cc", "src/core/trip_finisher.cc"):
        with open(os.path.join(src_dir, path)) as f:
            logged += f.read()
    for name, r in res.items():
        if r.get("Type") != "AWS::Logs::MetricFilter":
            continue
        props = r["Properties"]
        for t in props["MetricTransformations"]:
            if t["MetricName"] not in charted:
                problems.append("%s's metric %s is not on the dashboard" % (name, t["MetricName"]))
        msg = re.match(r'\{ \$\.message = "([^"*]+)\*?" \}$', props["FilterPattern"])
        if msg and ('"' + msg.group(1)) not in logged:
            problems.append("%s matches log message %r, which the engine does not log" % (name, msg.group(1)))
    return problems


def main(argv):
    if len(argv) < 3:
        print(__doc__)
        return 2
    check, template_path = argv[1], argv[2]
    template = load_template(template_path)
    if check == "spec":
        problems = check_spec(template, argv[3])
    elif check == "iam":
        problems = check_iam(template, argv[3])
    elif check == "s3":
        problems = check_s3(template)
    elif check == "notification":
        problems = check_notification(template)
    elif check == "dashboard":
        problems = check_dashboard(template, argv[3])
    else:
        print("unknown check " + check)
        return 2
    for p in problems:
        print("FAIL: " + p)
    if not problems:
        print("ok: %s check of %s" % (check, template_path))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
