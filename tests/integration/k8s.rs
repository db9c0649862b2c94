//! Kubernetes manifests as the API server and the kubelet treat them, without a cluster:
//! objects from rendered YAML, the environment each container really gets, and the name rules
//! whose violation stops pods from being created.
//!
//! The environment follows the kubelet's `makeEnvironmentVariables`: the service links of the
//! namespace's Services (unless `enableServiceLinks: false`, and only names no container
//! variable takes), every `envFrom` source in order (a later source overrides an earlier one;
//! `prefix` prepended), then every `env` entry in order (overriding `envFrom`), where a literal
//! `value` has `$(VAR)` expanded from the variables defined so far (`$$` is a literal `$`, an
//! unknown or unclosed reference stays as written) and `valueFrom` reads a Secret or ConfigMap
//! key (a missing object or key fails the container unless `optional: true`). Nothing else is
//! expanded: `$(VAR)` inside a Secret or ConfigMap value reaches the process unchanged.

#![allow(dead_code)]

use std::collections::{BTreeMap, BTreeSet};

use serde::Deserialize;
use serde_json::Value;

/// Every non-empty document of a multi-document YAML text.
pub fn parse_manifests(text: &str) -> Vec<Value> {
    yaml_serde::Deserializer::from_str(text)
        .map(|doc| {
            let v = yaml_serde::Value::deserialize(doc)
                .unwrap_or_else(|e| panic!("not YAML: {e}\n{text}"));
            serde_json::to_value(v).expect("YAML as JSON")
        })
        .filter(|v| !v.is_null())
        .collect()
}

/// Standard base64 (RFC 4648, with padding), as Secret `data` holds it.
pub fn base64_decode(text: &str) -> Result<Vec<u8>, String> {
    let mut out = Vec::new();
    let mut acc: u32 = 0;
    let mut bits = 0;
    let trimmed = text.trim_end_matches('=');
    if text.len() % 4 != 0 || text.len() - trimmed.len() > 2 {
        return Err(format!("not padded base64: {text:?}"));
    }
    for c in trimmed.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return Err(format!("invalid base64 byte {c:?} in {text:?}")),
        };
        acc = (acc << 6) | u32::from(v);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Ok(out)
}

/// Kubernetes' `$(VAR)` expansion of a literal `env[].value`.
pub fn expand(input: &str, lookup: &dyn Fn(&str) -> Option<String>) -> String {
    let mut out = String::new();
    let mut rest = input;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        match after.chars().next() {
            None => {
                out.push('$');
                rest = after;
            }
            Some('$') => {
                out.push('$');
                rest = &after[1..];
            }
            Some('(') => match after.find(')') {
                Some(close) => {
                    let name = &after[1..close];
                    match lookup(name) {
                        Some(v) => out.push_str(&v),
                        None => {
                            out.push_str("$(");
                            out.push_str(name);
                            out.push(')');
                        }
                    }
                    rest = &after[close + 1..];
                }
                None => {
                    out.push_str("$(");
                    rest = &after[1..];
                }
            },
            Some(c) => {
                out.push('$');
                out.push(c);
                rest = &after[c.len_utf8()..];
            }
        }
    }
    out.push_str(rest);
    out
}

/// A workload's pod template: where its containers are defined.
pub struct Workload<'a> {
    pub kind: String,
    pub name: String,
    pub object: &'a Value,
    pub pod_spec: &'a Value,
}

impl Workload<'_> {
    /// `initContainers` and `containers`, by name.
    pub fn containers(&self) -> Vec<&Value> {
        let mut out = Vec::new();
        for key in ["initContainers", "containers"] {
            if let Some(list) = self.pod_spec[key].as_array() {
                out.extend(list.iter());
            }
        }
        out
    }

    pub fn container(&self, name: &str) -> &Value {
        self.containers()
            .into_iter()
            .find(|c| c["name"] == name)
            .unwrap_or_else(|| panic!("{} {} has no container {name}", self.kind, self.name))
    }

    /// Replicas the workload runs (1 when unset, as the API server defaults it).
    pub fn replicas(&self) -> Option<u64> {
        match self.kind.as_str() {
            "Deployment" | "StatefulSet" | "ReplicaSet" => {
                Some(self.object["spec"]["replicas"].as_u64().unwrap_or(1))
            }
            _ => None,
        }
    }
}

/// The objects of one namespace: a chart render plus our own manifests.
pub struct Cluster {
    pub namespace: String,
    pub objects: Vec<Value>,
}

impl Cluster {
    pub fn new(namespace: &str) -> Self {
        Cluster {
            namespace: namespace.to_string(),
            objects: Vec::new(),
        }
    }

    /// Adds every object of a YAML text; one without a namespace lands in this one (as with
    /// `helm install -n` / `kubectl apply -n`). One for another namespace is an error.
    pub fn add(&mut self, text: &str) {
        for mut obj in parse_manifests(text) {
            assert!(
                obj["kind"].is_string() && obj["metadata"]["name"].is_string(),
                "an object without kind or metadata.name: {obj}"
            );
            match obj["metadata"]["namespace"].as_str() {
                Some(ns) => assert_eq!(
                    ns, self.namespace,
                    "{} {} is for namespace {ns}, not {}",
                    obj["kind"], obj["metadata"]["name"], self.namespace
                ),
                None => {
                    obj["metadata"]["namespace"] = Value::String(self.namespace.clone());
                }
            }
            self.objects.push(obj);
        }
    }

    pub fn find(&self, kind: &str, name: &str) -> Option<&Value> {
        self.objects
            .iter()
            .find(|o| o["kind"] == kind && o["metadata"]["name"] == name)
    }

    pub fn of_kind(&self, kind: &str) -> Vec<&Value> {
        self.objects.iter().filter(|o| o["kind"] == kind).collect()
    }

    /// A Secret's keys as the API server stores them: `data` decoded, `stringData` merged over.
    pub fn secret(&self, name: &str) -> Option<BTreeMap<String, String>> {
        let s = self.find("Secret", name)?;
        let mut out = BTreeMap::new();
        if let Some(data) = s["data"].as_object() {
            for (k, v) in data {
                let text = v
                    .as_str()
                    .unwrap_or_else(|| panic!("Secret {name} data.{k}: {v}"));
                let bytes =
                    base64_decode(text).unwrap_or_else(|e| panic!("Secret {name} data.{k}: {e}"));
                let value = String::from_utf8(bytes)
                    .unwrap_or_else(|_| panic!("Secret {name} data.{k} is not UTF-8"));
                out.insert(k.clone(), value);
            }
        }
        if let Some(data) = s["stringData"].as_object() {
            for (k, v) in data {
                let value = v
                    .as_str()
                    .unwrap_or_else(|| panic!("Secret {name} stringData.{k} is not a string: {v}"));
                out.insert(k.clone(), value.to_string());
            }
        }
        Some(out)
    }

    pub fn config_map(&self, name: &str) -> Option<BTreeMap<String, String>> {
        let c = self.find("ConfigMap", name)?;
        let mut out = BTreeMap::new();
        if let Some(data) = c["data"].as_object() {
            for (k, v) in data {
                let value = v
                    .as_str()
                    .unwrap_or_else(|| panic!("ConfigMap {name} data.{k} is not a string: {v}"));
                out.insert(k.clone(), value.to_string());
            }
        }
        Some(out)
    }

    /// Every object that defines pods, with its pod spec.
    pub fn workloads(&self) -> Vec<Workload<'_>> {
        self.objects
            .iter()
            .filter_map(|o| {
                let kind = o["kind"].as_str()?;
                let pod_spec = match kind {
                    "Pod" => &o["spec"],
                    "Deployment" | "StatefulSet" | "DaemonSet" | "ReplicaSet" | "Job" => {
                        &o["spec"]["template"]["spec"]
                    }
                    "CronJob" => &o["spec"]["jobTemplate"]["spec"]["template"]["spec"],
                    _ => return None,
                };
                Some(Workload {
                    kind: kind.to_string(),
                    name: o["metadata"]["name"].as_str()?.to_string(),
                    object: o,
                    pod_spec,
                })
            })
            .collect()
    }

    pub fn workload(&self, kind: &str, name: &str) -> Workload<'_> {
        self.workloads()
            .into_iter()
            .find(|w| w.kind == kind && w.name == name)
            .unwrap_or_else(|| {
                let have: Vec<String> = self
                    .workloads()
                    .iter()
                    .map(|w| format!("{} {}", w.kind, w.name))
                    .collect();
                panic!("no {kind} {name} in the render; workloads: {have:?}")
            })
    }

    /// The service-link variables of the namespace's Services with a cluster IP (headless ones
    /// have none). The IP is not known before the Service exists: CLUSTER-IP stands for it.
    pub fn service_links(&self) -> BTreeMap<String, String> {
        let mut out = BTreeMap::new();
        for svc in self.of_kind("Service") {
            if svc["spec"]["clusterIP"] == "None" || svc["spec"]["type"] == "ExternalName" {
                continue;
            }
            let name = svc["metadata"]["name"]
                .as_str()
                .unwrap_or_default()
                .to_ascii_uppercase()
                .replace('-', "_");
            let ports = svc["spec"]["ports"].as_array().cloned().unwrap_or_default();
            let Some(first) = ports.first() else { continue };
            let ip = "CLUSTER-IP";
            out.insert(format!("{name}_SERVICE_HOST"), ip.to_string());
            out.insert(format!("{name}_SERVICE_PORT"), first["port"].to_string());
            let proto = |p: &Value| p["protocol"].as_str().unwrap_or("TCP").to_string();
            out.insert(
                format!("{name}_PORT"),
                format!(
                    "{}://{ip}:{}",
                    proto(first).to_ascii_lowercase(),
                    first["port"]
                ),
            );
            for p in &ports {
                if let Some(pn) = p["name"].as_str() {
                    out.insert(
                        format!(
                            "{name}_SERVICE_PORT_{}",
                            pn.to_ascii_uppercase().replace('-', "_")
                        ),
                        p["port"].to_string(),
                    );
                }
                let base = format!("{name}_PORT_{}_{}", p["port"], proto(p));
                out.insert(
                    base.clone(),
                    format!("{}://{ip}:{}", proto(p).to_ascii_lowercase(), p["port"]),
                );
                out.insert(format!("{base}_PROTO"), proto(p).to_ascii_lowercase());
                out.insert(format!("{base}_PORT"), p["port"].to_string());
                out.insert(format!("{base}_ADDR"), ip.to_string());
            }
        }
        out
    }

    fn key_ref(&self, kind: &str, r: &Value) -> Result<Option<String>, String> {
        let name = r["name"].as_str().unwrap_or_default();
        let key = r["key"].as_str().unwrap_or_default();
        let optional = r["optional"].as_bool().unwrap_or(false);
        let data = match kind {
            "Secret" => self.secret(name),
            _ => self.config_map(name),
        };
        match data {
            None if optional => Ok(None),
            None => Err(format!("{kind} {name:?} not found")),
            Some(d) => match d.get(key) {
                Some(v) => Ok(Some(v.clone())),
                None if optional => Ok(None),
                None => Err(format!("key {key:?} not found in {kind} {name:?}")),
            },
        }
    }

    /// The environment a container of `workload` starts with; Err is what the kubelet reports
    /// (CreateContainerConfigError) when a reference cannot be resolved.
    pub fn container_env(
        &self,
        workload: &Workload<'_>,
        container: &str,
    ) -> Result<BTreeMap<String, String>, String> {
        let c = workload.container(container);
        let mut env: BTreeMap<String, String> = BTreeMap::new();
        for source in c["envFrom"].as_array().cloned().unwrap_or_default() {
            let prefix = source["prefix"].as_str().unwrap_or_default().to_string();
            let (kind, r) = if source["secretRef"].is_object() {
                ("Secret", &source["secretRef"])
            } else if source["configMapRef"].is_object() {
                ("ConfigMap", &source["configMapRef"])
            } else {
                return Err(format!(
                    "envFrom entry without secretRef/configMapRef: {source}"
                ));
            };
            let name = r["name"].as_str().unwrap_or_default();
            let data = match kind {
                "Secret" => self.secret(name),
                _ => self.config_map(name),
            };
            match data {
                Some(d) => {
                    for (k, v) in d {
                        env.insert(format!("{prefix}{k}"), v);
                    }
                }
                None if r["optional"].as_bool().unwrap_or(false) => {}
                None => return Err(format!("envFrom: {kind} {name:?} not found")),
            }
        }
        let links = if workload.pod_spec["enableServiceLinks"] == false {
            BTreeMap::new()
        } else {
            self.service_links()
        };
        for var in c["env"].as_array().cloned().unwrap_or_default() {
            let name = var["name"]
                .as_str()
                .ok_or_else(|| format!("env entry without a name: {var}"))?
                .to_string();
            let literal = var["value"].as_str().unwrap_or_default();
            let value = if !literal.is_empty() {
                let lookup = |n: &str| env.get(n).or_else(|| links.get(n)).cloned();
                Some(expand(literal, &lookup))
            } else if var["valueFrom"].is_object() {
                let from = &var["valueFrom"];
                if from["secretKeyRef"].is_object() {
                    self.key_ref("Secret", &from["secretKeyRef"])
                        .map_err(|e| format!("env {name}: {e}"))?
                } else if from["configMapKeyRef"].is_object() {
                    self.key_ref("ConfigMap", &from["configMapKeyRef"])
                        .map_err(|e| format!("env {name}: {e}"))?
                } else if let Some(path) = from["fieldRef"]["fieldPath"].as_str() {
                    Some(match path {
                        "metadata.namespace" => self.namespace.clone(),
                        "metadata.name" => format!("{}-POD", workload.name),
                        other => format!("FIELD({other})"),
                    })
                } else {
                    Some(format!("RESOURCE({})", from["resourceFieldRef"]))
                }
            } else {
                Some(String::new())
            };
            if let Some(v) = value {
                env.insert(name, v);
            }
        }
        for (k, v) in links {
            env.entry(k).or_insert(v);
        }
        Ok(env)
    }
}

/// `[a-z0-9]([-a-z0-9]*[a-z0-9])?`, at most `max` characters.
pub(crate) fn dns_label(s: &str, max: usize) -> bool {
    !s.is_empty()
        && s.len() <= max
        && s.bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        && !s.starts_with('-')
        && !s.ends_with('-')
}

/// A DNS-1123 subdomain: dot-separated labels, at most 253 characters in all.
fn dns_subdomain(s: &str) -> bool {
    s.len() <= 253 && s.split('.').all(|part| dns_label(part, 253))
}

/// A label value: at most 63 characters, `(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?`.
fn label_value(s: &str) -> bool {
    s.is_empty()
        || (s.len() <= 63
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
            && s.as_bytes()[0].is_ascii_alphanumeric()
            && s.as_bytes()[s.len() - 1].is_ascii_alphanumeric())
}

/// Every reason an object of the cluster cannot be created or would never run a pod:
/// names beyond Kubernetes' limits, duplicate objects, label values and port names too long.
pub fn name_problems(cluster: &Cluster) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for o in &cluster.objects {
        let kind = o["kind"].as_str().unwrap_or_default();
        let name = o["metadata"]["name"].as_str().unwrap_or_default();
        let ns = o["metadata"]["namespace"].as_str().unwrap_or_default();
        if !seen.insert((kind.to_string(), ns.to_string(), name.to_string())) {
            problems.push(format!("duplicate {kind} {ns}/{name}"));
        }
        let ok = match kind {
            // DNS-1035 labels: Service names become DNS labels.
            "Service" => dns_label(name, 63) && name.starts_with(|c: char| c.is_ascii_lowercase()),
            "Namespace" => dns_label(name, 63),
            // The controller-revision-hash label is NAME-<10 characters>: at most 63.
            "StatefulSet" => dns_label(name, 52),
            // The job-name label carries the name.
            "Job" => dns_label(name, 63),
            // Jobs are named NAME-<11 digits>.
            "CronJob" => dns_label(name, 52),
            // Pod names are host names.
            "Pod" => dns_label(name, 63),
            _ => dns_subdomain(name),
        };
        if !ok {
            problems.push(format!(
                "{kind} name {name:?} ({} characters) is beyond Kubernetes' limit for a {kind}",
                name.len()
            ));
        }
        let mut labels: Vec<(String, &Value)> = Vec::new();
        if let Some(l) = o["metadata"]["labels"].as_object() {
            labels.extend(l.iter().map(|(k, v)| (format!("metadata.labels.{k}"), v)));
        }
        for path in [
            &o["spec"]["template"]["metadata"]["labels"],
            &o["spec"]["selector"]["matchLabels"],
            &o["spec"]["selector"],
        ] {
            if let Some(l) = path.as_object() {
                labels.extend(
                    l.iter()
                        .filter(|(_, v)| v.is_string())
                        .map(|(k, v)| (format!("label {k}"), v)),
                );
            }
        }
        for (k, v) in labels {
            let v = v.as_str().unwrap_or_default();
            if !label_value(v) {
                problems.push(format!(
                    "{kind} {name}: {k} = {v:?} is not a valid label value"
                ));
            }
        }
        if kind == "StatefulSet" {
            let replicas = o["spec"]["replicas"].as_u64().unwrap_or(1);
            for i in 0..replicas {
                let pod = format!("{name}-{i}");
                if !label_value(&pod) || !dns_label(&pod, 63) {
                    problems.push(format!("StatefulSet {name}: pod name {pod:?} is too long"));
                }
            }
            if let Some(svc) = o["spec"]["serviceName"].as_str() {
                if cluster.find("Service", svc).is_none() {
                    problems.push(format!(
                        "StatefulSet {name}: serviceName {svc} is not a Service"
                    ));
                }
            }
        }
        if kind == "Service" {
            for p in o["spec"]["ports"].as_array().cloned().unwrap_or_default() {
                if let Some(pn) = p["name"].as_str() {
                    if pn.len() > 15 {
                        problems.push(format!("Service {name}: port name {pn:?} is over 15"));
                    }
                }
            }
        }
    }
    for w in cluster.workloads() {
        for c in w.containers() {
            for p in c["ports"].as_array().cloned().unwrap_or_default() {
                if let Some(pn) = p["name"].as_str() {
                    if pn.len() > 15 {
                        problems.push(format!(
                            "{} {}: container port name {pn:?} is over 15",
                            w.kind, w.name
                        ));
                    }
                }
            }
        }
    }
    problems
}

#[test]
fn expansion_follows_kubernetes() {
    let vars = |n: &str| match n {
        "A" => Some("x".to_string()),
        "EMPTY" => Some(String::new()),
        _ => None,
    };
    for (input, want) in [
        ("$(A)", "x"),
        ("p$(A)q$(A)", "pxqx"),
        ("$$(A)", "$(A)"),
        ("$(B)", "$(B)"),
        ("$(EMPTY)!", "!"),
        ("$(A", "$(A"),
        ("a$", "a$"),
        ("$x", "$x"),
        ("$$", "$"),
        ("$()", "$()"),
    ] {
        assert_eq!(expand(input, &vars), want, "{input}");
    }
}

#[test]
fn base64_decodes_secret_data() {
    assert_eq!(base64_decode("cmVkaXM=").as_deref(), Ok(&b"redis"[..]));
    assert_eq!(base64_decode("").as_deref(), Ok(&b""[..]));
    assert_eq!(base64_decode("YWJj").as_deref(), Ok(&b"abc"[..]));
    assert!(base64_decode("YWJ").is_err());
    assert!(base64_decode("Y*Jj").is_err());
}

#[test]
fn environment_precedence_is_the_kubelets() {
    let mut c = Cluster::new("ns");
    c.add(
        r#"
apiVersion: v1
kind: Secret
metadata: {name: first}
data: {A: Zmlyc3Q=, B: Zmlyc3Q=, U: JChBKQ==}
---
apiVersion: v1
kind: Secret
metadata: {name: second}
stringData: {B: second, C: second}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: cm}
data: {K: from-cm}
---
apiVersion: v1
kind: Service
metadata: {name: redis}
spec: {ports: [{port: 6379, name: tcp-redis}]}
---
apiVersion: v1
kind: Service
metadata: {name: redis-headless}
spec: {clusterIP: None, ports: [{port: 6379}]}
---
apiVersion: v1
kind: Pod
metadata: {name: p}
spec:
  containers:
  - name: app
    envFrom: [{secretRef: {name: first}}, {secretRef: {name: second}}, {configMapRef: {name: cm}, prefix: P_}]
    env:
    - {name: C, value: "env-$(A)-$(C)-$$(A)-$(NOPE)"}
    - {name: D, valueFrom: {secretKeyRef: {name: second, key: B}}}
    - {name: E, valueFrom: {configMapKeyRef: {name: cm, key: K}}}
    - {name: F, valueFrom: {secretKeyRef: {name: gone, key: x, optional: true}}}
    - {name: G, value: ""}
    - {name: H, value: "$(REDIS_SERVICE_HOST):$(D)"}
  - name: broken
    env:
    - {name: X, valueFrom: {secretKeyRef: {name: second, key: nope}}}
"#,
    );
    let w = c.workload("Pod", "p");
    let env = c.container_env(&w, "app").expect("resolves");
    assert_eq!(env["A"], "first");
    assert_eq!(env["B"], "second", "a later envFrom source wins");
    assert_eq!(
        env["C"], "env-first-second-$(A)-$(NOPE)",
        "env wins, $(…) expanded"
    );
    assert_eq!(env["D"], "second");
    assert_eq!(env["E"], "from-cm");
    assert_eq!(env["P_K"], "from-cm");
    assert!(!env.contains_key("F"), "optional and missing: unset");
    assert_eq!(env["G"], "", "set but empty");
    assert_eq!(env["H"], "CLUSTER-IP:second");
    assert_eq!(env["U"], "$(A)", "Secret values are never expanded");
    assert_eq!(env["REDIS_PORT"], "tcp://CLUSTER-IP:6379", "service link");
    assert!(
        !env.contains_key("REDIS_HEADLESS_SERVICE_HOST"),
        "headless: no link"
    );
    let err = c.container_env(&w, "broken").expect_err("missing key");
    assert!(err.contains("nope"), "{err}");
}

#[test]
fn name_rules_catch_what_kubernetes_refuses() {
    let mut c = Cluster::new("ns");
    let long = "a".repeat(53);
    c.add(&format!(
        "kind: StatefulSet\nmetadata: {{name: {long}}}\nspec: {{replicas: 3, serviceName: svc}}\n\
         ---\nkind: Service\nmetadata: {{name: svc}}\nspec: {{ports: [{{port: 1, name: a-very-long-port-name}}]}}\n\
         ---\nkind: Service\nmetadata: {{name: svc}}\n\
         ---\nkind: Service\nmetadata: {{name: {}}}\n\
         ---\nkind: ConfigMap\nmetadata: {{name: {}, labels: {{app: {}}}}}\n",
        "s".repeat(64),
        "c".repeat(200),
        "l".repeat(64),
    ));
    let p = name_problems(&c).join("\n");
    assert!(p.contains(&format!("StatefulSet name \"{long}\"")), "{p}");
    assert!(p.contains("duplicate Service ns/svc"), "{p}");
    assert!(p.contains("port name \"a-very-long-port-name\""), "{p}");
    assert!(
        p.contains(&format!("Service name \"{}\"", "s".repeat(64))),
        "{p}"
    );
    assert!(p.contains("metadata.labels.app"), "{p}");
    assert!(!p.contains("ConfigMap name"), "253 characters allowed: {p}");
    let mut ok = Cluster::new("ns");
    ok.add(&format!(
        "kind: StatefulSet\nmetadata: {{name: {}}}\nspec: {{replicas: 3, serviceName: svc}}\n\
         ---\nkind: Service\nmetadata: {{name: svc}}\n",
        "a".repeat(52)
    ));
    assert_eq!(name_problems(&ok), Vec::<String>::new());
}
