"""The Helm chart in helm/renda: lint, render and validate offline.

No helm binary and no cluster: helm-python-sdk (module ``helm_python``) binds
Helm's Go SDK, and kubernetes-validate checks each rendered manifest against
the Kubernetes 1.30 OpenAPI schemas in strict mode. Both are test
dependencies, so a missing one is an error here, never a skip.
"""

from __future__ import annotations

import base64
from pathlib import Path
from typing import Any

import helm_python
import kubernetes_validate
import pytest
import yaml

CHART = Path(__file__).resolve().parents[1] / "helm" / "renda"
KUBE_VERSION = "1.30.0"
RELEASE = "renda"
NAMESPACE = "renda"

OPTIONAL_SECRET_ENV = {"RENDA_OIDC_CLIENT_SECRET", "RENDA_SECRET_KEY_OLD", "RENDA_DATABASE_DIRECT_URL"}
SECRET_ENV = {
    "RENDA_DATABASE_DIRECT_URL",
    "RENDA_DATABASE_URL",
    "RENDA_BROKER_URL",
    "RENDA_SECRET_KEY",
    "RENDA_OIDC_CLIENT_SECRET",
    "RENDA_SECRET_KEY_OLD",
}

PRODUCTION_VALUES: dict[str, Any] = {
    "image": {"repository": "registry.example.com/renda", "tag": "1.2.3"},
    "config": {
        "oidcIssuer": "https://idp.example.gov.cn/realms/renda",
        "oidcClientId": "renda",
    },
    "secrets": {"existingSecret": "renda-prod-secrets"},
    "ingress": {
        "enabled": True,
        "className": "nginx",
        "host": "renda.example.gov.cn",
        "tls": {"enabled": True, "secretName": "renda-example-tls"},
    },
    "web": {"autoscaling": {"enabled": True, "minReplicas": 3, "maxReplicas": 8}},
}

CHART_SECRET_VALUES: dict[str, Any] = {
    "secrets": {
        "databaseUrl": "postgresql://renda:pw@db:5432/renda",
        "brokerUrl": "amqp://renda:pw@mq:5672/renda",
        "secretKey": "not-a-real-key",
    }
}


def render(values: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    """Render the chart and return every Kubernetes object it produces."""
    with helm_python.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    objects: list[dict[str, Any]] = []
    for path, text in sorted(manifests.items()):
        if not path.endswith((".yaml", ".yml")):
            continue  # NOTES.txt
        for doc in yaml.safe_load_all(text):
            if doc:
                objects.append(doc)
    return objects


def notes(values: dict[str, Any] | None = None) -> str:
    with helm_python.Chart.load(CHART) as chart:
        manifests = chart.render(values, name=RELEASE, namespace=NAMESPACE)
    return manifests[f"{CHART.name}/templates/NOTES.txt"]


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    matches = [o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name]
    assert len(matches) == 1, f"expected one {kind}/{name}, got {len(matches)}"
    return matches[0]


def kinds(objects: list[dict[str, Any]]) -> set[str]:
    return {o["kind"] for o in objects}


def container(pod_owner: dict[str, Any]) -> dict[str, Any]:
    containers = pod_owner["spec"]["template"]["spec"]["containers"]
    assert len(containers) == 1
    result: dict[str, Any] = containers[0]
    return result


def secret_refs(ctr: dict[str, Any]) -> dict[str, tuple[str, str]]:
    """env name -> (secret name, key) for every variable read from a Secret."""
    refs: dict[str, tuple[str, str]] = {}
    for env in ctr.get("env", []):
        ref = env.get("valueFrom", {}).get("secretKeyRef")
        if ref:
            refs[env["name"]] = (ref["name"], ref["key"])
    return refs


def test_chart_metadata() -> None:
    with helm_python.Chart.load(CHART) as chart:
        meta = chart.metadata
    assert meta["apiVersion"] == "v2"
    assert meta["name"] == "renda"
    assert meta["version"] == "0.1.0"
    assert meta["appVersion"] == "0.1.0"


@pytest.mark.parametrize(
    "values",
    [None, PRODUCTION_VALUES, CHART_SECRET_VALUES],
    ids=["defaults", "production", "chart-secret"],
)
def test_lint_has_no_errors_or_warnings(values: dict[str, Any] | None) -> None:
    report = helm_python.lint(CHART, values, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    assert report["total_charts_linted"] == 1
    assert report["errors"] == []
    problems = [m for m in report["messages"] if m["severity"] >= 2]
    assert problems == []


@pytest.mark.parametrize(
    "values",
    [None, PRODUCTION_VALUES, CHART_SECRET_VALUES],
    ids=["defaults", "production", "chart-secret"],
)
def test_every_manifest_is_valid_for_kubernetes_1_30(values: dict[str, Any] | None) -> None:
    objects = render(values)
    assert len(objects) >= 8
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)


def test_default_render_has_every_component() -> None:
    objects = render()
    assert {"Deployment", "Job", "Service", "ConfigMap", "Secret", "ServiceAccount"} <= kinds(objects)
    assert "PodDisruptionBudget" in kinds(objects)
    assert "Ingress" not in kinds(objects)
    assert "HorizontalPodAutoscaler" not in kinds(objects)
    commands = {
        name: container(find(objects, "Deployment", f"{RELEASE}-{name}"))["command"]
        for name in ("web", "worker", "scheduler")
    }
    assert commands == {
        "web": ["renda", "serve"],
        "worker": ["renda", "worker"],
        "scheduler": ["renda", "scheduler"],
    }
    assert find(objects, "Deployment", f"{RELEASE}-web")["spec"]["replicas"] == 2


def test_standard_labels_and_selectors() -> None:
    objects = render()
    for obj in objects:
        labels = obj["metadata"]["labels"]
        assert labels["app.kubernetes.io/name"] == "renda"
        assert labels["app.kubernetes.io/instance"] == RELEASE
        assert labels["app.kubernetes.io/managed-by"] == "Helm"
        assert labels["app.kubernetes.io/version"] == "0.1.0"
        assert labels["helm.sh/chart"] == "renda-0.1.0"
    for name in ("web", "worker", "scheduler"):
        deployment = find(objects, "Deployment", f"{RELEASE}-{name}")
        selector = deployment["spec"]["selector"]["matchLabels"]
        assert selector["app.kubernetes.io/component"] == name
        pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector.items() <= pod_labels.items()
    service = find(objects, "Service", RELEASE)
    assert service["spec"]["selector"]["app.kubernetes.io/component"] == "web"


def test_migrate_job_is_a_pre_install_pre_upgrade_hook() -> None:
    objects = render()
    job = find(objects, "Job", f"{RELEASE}-migrate")
    annotations = job["metadata"]["annotations"]
    assert annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert annotations["helm.sh/hook-delete-policy"] == "before-hook-creation,hook-succeeded"
    ctr = container(job)
    assert ctr["command"] == ["renda", "migrate"]
    assert job["spec"]["template"]["spec"]["restartPolicy"] == "Never"
    # The hook runs before the release's ConfigMap exists: settings are inlined.
    assert "envFrom" not in ctr
    inline = {e["name"]: e["value"] for e in ctr["env"] if "value" in e}
    assert inline["RENDA_ENV"] == "production"
    assert inline["RENDA_PUBLIC_URL"].startswith("https://")  # production refuses anything else
    assert inline["RENDA_MIGRATE_CONCURRENCY"] == "4"
    # ... and so is its copy of the chart's Secret, which is a hook created first.
    refs = secret_refs(ctr)
    assert set(refs) == SECRET_ENV
    hook_secret = find(objects, "Secret", f"{RELEASE}-migrate")
    hook_annotations = hook_secret["metadata"]["annotations"]
    assert hook_annotations["helm.sh/hook"] == "pre-install,pre-upgrade"
    assert int(hook_annotations["helm.sh/hook-weight"]) < int(annotations["helm.sh/hook-weight"])
    assert {name for name, _ in refs.values()} == {f"{RELEASE}-migrate"}


def test_web_probes_health_and_ready() -> None:
    web = container(find(render(), "Deployment", f"{RELEASE}-web"))
    assert web["ports"] == [{"name": "http", "containerPort": 8000, "protocol": "TCP"}]
    assert web["livenessProbe"]["httpGet"] == {"path": "/health", "port": "http"}
    assert web["readinessProbe"]["httpGet"] == {"path": "/ready", "port": "http"}
    # renda binds 127.0.0.1 unless told otherwise; the probes and the Service need the pod IP.
    listen = {e["name"]: e["value"] for e in web["env"] if "value" in e}
    assert listen == {"RENDA_HOST": "0.0.0.0", "RENDA_PORT": "8000"}


def test_pods_run_as_non_root_with_read_only_root_filesystem() -> None:
    objects = render()
    for obj in objects:
        if obj["kind"] not in {"Deployment", "Job"}:
            continue
        pod = obj["spec"]["template"]["spec"]
        assert pod["securityContext"]["runAsNonRoot"] is True
        ctr = container(obj)
        assert ctr["securityContext"]["readOnlyRootFilesystem"] is True
        assert ctr["securityContext"]["allowPrivilegeEscalation"] is False
        assert {"name": "tmp", "mountPath": "/tmp"} in ctr["volumeMounts"]


def test_chart_created_secret_holds_the_values_and_is_referenced() -> None:
    objects = render(CHART_SECRET_VALUES)
    secret = find(objects, "Secret", RELEASE)
    data = {k: base64.b64decode(v).decode() for k, v in secret["data"].items()}
    assert data == {
        "database-url": "postgresql://renda:pw@db:5432/renda",
        "broker-url": "amqp://renda:pw@mq:5672/renda",
        "secret-key": "not-a-real-key",
    }
    for name in ("web", "worker", "scheduler"):
        refs = secret_refs(container(find(objects, "Deployment", f"{RELEASE}-{name}")))
        assert refs == {
            "RENDA_DATABASE_URL": (RELEASE, "database-url"),
            "RENDA_BROKER_URL": (RELEASE, "broker-url"),
            "RENDA_SECRET_KEY": (RELEASE, "secret-key"),
            "RENDA_OIDC_CLIENT_SECRET": (RELEASE, "oidc-client-secret"),
            "RENDA_SECRET_KEY_OLD": (RELEASE, "secret-key-old"),  # only during a key rotation
            "RENDA_DATABASE_DIRECT_URL": (RELEASE, "database-direct-url"),  # only behind a pooler
        }
    hook_secret = find(objects, "Secret", f"{RELEASE}-migrate")
    assert hook_secret["data"] == secret["data"]
    assert "WARNING" not in notes(CHART_SECRET_VALUES)


def test_defaults_without_secrets_warn_in_notes() -> None:
    text = notes()
    assert "WARNING" in text
    assert "警告" in text


def test_existing_secret_renders_no_secret_and_is_referenced() -> None:
    objects = render(PRODUCTION_VALUES)
    assert "Secret" not in kinds(objects)
    workloads = [o for o in objects if o["kind"] in {"Deployment", "Job"}]
    assert len(workloads) == 4
    for obj in workloads:
        refs = secret_refs(container(obj))
        assert set(refs) == SECRET_ENV, obj["metadata"]["name"]
        assert {name for name, _ in refs.values()} == {"renda-prod-secrets"}
        for env in container(obj)["env"]:
            ref = env.get("valueFrom", {}).get("secretKeyRef")
            if ref:
                assert ref.get("optional", False) == (env["name"] in OPTIONAL_SECRET_ENV)
    # Without a chart-managed Secret there is nothing to checksum.
    web = find(objects, "Deployment", f"{RELEASE}-web")
    assert "checksum/secret" not in web["spec"]["template"]["metadata"]["annotations"]
    assert "checksum/config" in web["spec"]["template"]["metadata"]["annotations"]


def test_production_values_ingress_tls_hpa_and_config() -> None:
    objects = render(PRODUCTION_VALUES)
    ingress = find(objects, "Ingress", RELEASE)
    assert ingress["spec"]["ingressClassName"] == "nginx"
    assert ingress["spec"]["tls"] == [{"hosts": ["renda.example.gov.cn"], "secretName": "renda-example-tls"}]
    (rule,) = ingress["spec"]["rules"]
    assert rule["host"] == "renda.example.gov.cn"
    assert rule["http"]["paths"][0]["backend"]["service"] == {
        "name": RELEASE,
        "port": {"name": "http"},
    }

    hpa = find(objects, "HorizontalPodAutoscaler", f"{RELEASE}-web")
    assert hpa["spec"]["scaleTargetRef"] == {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "name": f"{RELEASE}-web",
    }
    assert (hpa["spec"]["minReplicas"], hpa["spec"]["maxReplicas"]) == (3, 8)
    # The HPA owns the web replica count.
    assert "replicas" not in find(objects, "Deployment", f"{RELEASE}-web")["spec"]
    assert find(objects, "Deployment", f"{RELEASE}-worker")["spec"]["replicas"] == 2

    config = find(objects, "ConfigMap", RELEASE)["data"]
    assert config == {
        "RENDA_ENV": "production",
        "RENDA_LOG_LEVEL": "INFO",
        "RENDA_MIGRATE_CONCURRENCY": "4",
        "RENDA_PUBLIC_URL": "https://renda.example.gov.cn",
        "RENDA_OIDC_ISSUER": "https://idp.example.gov.cn/realms/renda",
        "RENDA_OIDC_CLIENT_ID": "renda",
        "RENDA_FORWARDED_ALLOW_IPS": "*",
    }
    web = container(find(objects, "Deployment", f"{RELEASE}-web"))
    assert web["image"] == "registry.example.com/renda:1.2.3"
    assert web["envFrom"] == [{"configMapRef": {"name": RELEASE}}]
    assert "https://renda.example.gov.cn/" in notes(PRODUCTION_VALUES)


def test_pdb_selects_web_pods() -> None:
    objects = render()
    pdb = find(objects, "PodDisruptionBudget", f"{RELEASE}-web")
    web = find(objects, "Deployment", f"{RELEASE}-web")
    assert pdb["spec"]["selector"] == web["spec"]["selector"]
    assert pdb["spec"]["maxUnavailable"] == 1


NETWORK_VALUES: dict[str, Any] = {
    "networkPolicy": {
        "web": {"ingressFrom": [{"namespaceSelector": {"matchLabels": {"kubernetes.io/metadata.name": "ingress"}}}]},
        "egress": {
            "postgresql": {"to": [{"ipBlock": {"cidr": "10.0.5.0/24"}}]},
            "redis": None,
        },
        "extraEgress": [{"ports": [{"port": 8443, "protocol": "TCP"}]}],
    }
}


def pods_selected(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    selector = policy["spec"]["podSelector"]
    if not selector.get("matchLabels", {}).items() <= labels.items():
        return False
    for expression in selector.get("matchExpressions", []):
        assert expression["operator"] == "In"
        if labels.get(expression["key"]) not in expression["values"]:
            return False
    return True


def egress_ports(policy: dict[str, Any]) -> set[tuple[int, str]]:
    return {(p["port"], p["protocol"]) for rule in policy["spec"]["egress"] for p in rule["ports"]}


def test_the_chart_runs_the_repository_image() -> None:
    """The default image is the one the Dockerfile and scripts/image build: renda:<package version>,
    its user the pods' user, its port the web port, its entrypoint the containers' command."""
    root = CHART.parents[1]
    version = next(
        line.split('"')[1] for line in (root / "pyproject.toml").read_text().splitlines() if line.startswith("version")
    )
    dockerfile = (root / "Dockerfile").read_text()
    objects = render()
    web = container(find(objects, "Deployment", f"{RELEASE}-web"))
    assert web["image"] == f"renda:{version}"
    assert "USER 10001:10001" in dockerfile
    assert 'ENTRYPOINT ["renda"]' in dockerfile
    assert f"RENDA_PORT={web['ports'][0]['containerPort']}" in dockerfile
    pod = find(objects, "Deployment", f"{RELEASE}-web")["spec"]["template"]["spec"]
    assert (pod["securityContext"]["runAsUser"], pod["securityContext"]["runAsGroup"]) == (10001, 10001)


def test_network_policies_let_only_the_web_port_in_and_the_services_out() -> None:
    objects = render()
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    assert len(policies) == 2
    workloads = [o for o in objects if o["kind"] in {"Deployment", "Job"}]
    for workload in workloads:  # each renda pod is under exactly one policy
        labels = workload["spec"]["template"]["metadata"]["labels"]
        assert len([p for p in policies if pods_selected(p, labels)]) == 1, workload["metadata"]["name"]

    web = find(objects, "NetworkPolicy", f"{RELEASE}-web")
    assert web["spec"]["podSelector"] == find(objects, "Deployment", f"{RELEASE}-web")["spec"]["selector"]
    assert web["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert web["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}]  # from anywhere

    jobs = find(objects, "NetworkPolicy", f"{RELEASE}-jobs")
    assert jobs["spec"]["policyTypes"] == ["Ingress", "Egress"]
    assert jobs["spec"]["ingress"] == []  # workers, scheduler and migrate accept no connection
    for name in ("worker", "scheduler"):
        labels = find(objects, "Deployment", f"{RELEASE}-{name}")["spec"]["template"]["metadata"]["labels"]
        assert pods_selected(jobs, labels)
    labels = find(objects, "Job", f"{RELEASE}-migrate")["spec"]["template"]["metadata"]["labels"]
    assert pods_selected(jobs, labels)

    expected = {(53, "UDP"), (53, "TCP"), (5432, "TCP"), (5672, "TCP"), (6379, "TCP")}
    expected |= {(25, "TCP"), (465, "TCP"), (587, "TCP"), (443, "TCP")}
    for policy in (web, jobs):
        assert egress_ports(policy) == expected
        dns = next(rule for rule in policy["spec"]["egress"] if rule["ports"][0]["port"] == 53)
        assert dns["to"][0]["podSelector"] == {"matchLabels": {"k8s-app": "kube-dns"}}
        database = next(rule for rule in policy["spec"]["egress"] if rule["ports"][0]["port"] == 5432)
        assert "to" not in database  # any address on the database's port


def test_network_policy_values() -> None:
    objects = render(NETWORK_VALUES)
    for obj in objects:
        kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    web = find(objects, "NetworkPolicy", f"{RELEASE}-web")
    (ingress,) = web["spec"]["ingress"]
    assert ingress["from"] == NETWORK_VALUES["networkPolicy"]["web"]["ingressFrom"]
    for policy in (web, find(objects, "NetworkPolicy", f"{RELEASE}-jobs")):
        ports = egress_ports(policy)
        assert (6379, "TCP") not in ports  # dropped with null
        assert (8443, "TCP") in ports
        database = next(rule for rule in policy["spec"]["egress"] if rule["ports"][0]["port"] == 5432)
        assert database["to"] == [{"ipBlock": {"cidr": "10.0.5.0/24"}}]
    assert "NetworkPolicy" not in kinds(render({"networkPolicy": {"enabled": False}}))


# --- scaling: the transaction pooler, quorum queues, workers scaled by KEDA (docs/scaling.md) -----
KEDA_VALUES: dict[str, Any] = {
    **CHART_SECRET_VALUES,
    "config": {"databaseTransactionPooler": True, "rabbitmqQuorum": True},
    "worker": {"keda": {"enabled": True, "maxReplicaCount": 6}},
}

# The parts of KEDA 2's ScaledObject and TriggerAuthentication schemas (their CRDs' openAPIV3Schema)
# the chart uses: the CRDs are not in kubernetes-validate's schemas, which cover built-in kinds.
KEDA_SCHEMAS: dict[str, dict[str, Any]] = {
    "ScaledObject": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "spec": {
                "type": "object",
                "required": ["scaleTargetRef", "triggers"],
                "additionalProperties": False,
                "properties": {
                    "scaleTargetRef": {
                        "type": "object",
                        "required": ["name"],
                        "additionalProperties": False,
                        "properties": {
                            "apiVersion": {"type": "string"},
                            "kind": {"type": "string"},
                            "name": {"type": "string"},
                        },
                    },
                    "minReplicaCount": {"type": "integer", "minimum": 0},
                    "maxReplicaCount": {"type": "integer", "minimum": 1},
                    "pollingInterval": {"type": "integer"},
                    "cooldownPeriod": {"type": "integer"},
                    "triggers": {
                        "type": "array",
                        "minItems": 1,
                        "items": {
                            "type": "object",
                            "required": ["type", "metadata"],
                            "additionalProperties": False,
                            "properties": {
                                "type": {"type": "string"},
                                "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
                                "authenticationRef": {
                                    "type": "object",
                                    "required": ["name"],
                                    "properties": {"name": {"type": "string"}, "kind": {"type": "string"}},
                                },
                            },
                        },
                    },
                },
            },
        },
    },
    "TriggerAuthentication": {
        "type": "object",
        "required": ["apiVersion", "kind", "metadata", "spec"],
        "properties": {
            "apiVersion": {"const": "keda.sh/v1alpha1"},
            "spec": {
                "type": "object",
                "additionalProperties": False,
                "properties": {
                    "secretTargetRef": {
                        "type": "array",
                        "items": {
                            "type": "object",
                            "required": ["parameter", "name", "key"],
                            "additionalProperties": False,
                            "properties": {k: {"type": "string"} for k in ("parameter", "name", "key")},
                        },
                    }
                },
            },
        },
    },
}


def test_keda_scales_the_workers_on_every_queue() -> None:
    import jsonschema

    from renda.workers.broker import load_actor_modules, registered_actors

    report = helm_python.lint(CHART, KEDA_VALUES, strict=True, namespace=NAMESPACE, kube_version=f"v{KUBE_VERSION}")
    assert report["errors"] == [] and [m for m in report["messages"] if m["severity"] >= 2] == []
    objects = render(KEDA_VALUES)
    for obj in objects:
        if obj["apiVersion"].startswith("keda.sh/"):
            jsonschema.validate(obj, KEDA_SCHEMAS[obj["kind"]])
        else:
            kubernetes_validate.validate(obj, KUBE_VERSION, strict=True)
    scaled = find(objects, "ScaledObject", f"{RELEASE}-worker")
    assert scaled["spec"]["scaleTargetRef"]["name"] == f"{RELEASE}-worker"
    assert (scaled["spec"]["minReplicaCount"], scaled["spec"]["maxReplicaCount"]) == (1, 6)
    # The replica count is KEDA's: the Deployment names none.
    assert "replicas" not in find(objects, "Deployment", f"{RELEASE}-worker")["spec"]
    load_actor_modules()
    # The app's actors (tests of the whole suite register some of their own on other queues).
    queues = {a.queue_name for a in registered_actors().values() if a.fn.__module__.startswith("renda.")}
    triggers = scaled["spec"]["triggers"]
    assert {t["metadata"]["queueName"] for t in triggers} == queues  # a new queue needs adding to values.yaml
    assert {(t["type"], t["metadata"]["mode"], t["metadata"]["value"]) for t in triggers} == {
        ("rabbitmq", "QueueLength", "20")
    }
    auth = find(objects, "TriggerAuthentication", f"{RELEASE}-worker")
    assert auth["spec"]["secretTargetRef"] == [{"parameter": "host", "name": RELEASE, "key": "broker-url"}]
    assert {t["authenticationRef"]["name"] for t in triggers} == {auth["metadata"]["name"]}
    config = find(objects, "ConfigMap", RELEASE)["data"]
    assert config["RENDA_DATABASE_TRANSACTION_POOLER"] == "true" and config["RENDA_RABBITMQ_QUORUM"] == "true"


def test_without_keda_the_workers_keep_their_replica_count() -> None:
    objects = render()
    assert not {"ScaledObject", "TriggerAuthentication"} & kinds(objects)
    assert find(objects, "Deployment", f"{RELEASE}-worker")["spec"]["replicas"] == 2
    assert "RENDA_RABBITMQ_QUORUM" not in find(objects, "ConfigMap", RELEASE)["data"]


def test_the_direct_database_url_goes_into_the_chart_secret() -> None:
    values = {"secrets": {**CHART_SECRET_VALUES["secrets"], "databaseDirectUrl": "postgresql://renda:pw@db:5432/renda"}}
    secret = find(render(values), "Secret", RELEASE)
    assert base64.b64decode(secret["data"]["database-direct-url"]).decode() == "postgresql://renda:pw@db:5432/renda"
